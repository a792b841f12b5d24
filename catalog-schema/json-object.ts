/** A JSON object: not null, not an array (a request body, its variables, a listing document). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
