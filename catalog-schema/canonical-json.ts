import { createHash } from 'node:crypto';

/**
 * Serialises a JSON value as RFC 8785 (JSON Canonicalization Scheme) text: object members sorted by
 * their names' UTF-16 code units, no whitespace, numbers and strings as ECMAScript's JSON.stringify
 * writes them. The content hash of a listing is defined over this text.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('canonical JSON cannot represent a non-finite number');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      // Default sort compares UTF-16 code units, which is what RFC 8785 prescribes.
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  throw new TypeError(`canonical JSON cannot represent a value of type ${typeof value}`);
}

/** The content hash of a listing document: lowercase hex SHA-256 of its RFC 8785 canonical JSON. */
export function contentHash(document: unknown): string {
  return createHash('sha256').update(canonicalJson(document), 'utf8').digest('hex');
}
