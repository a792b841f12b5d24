/**
 * PostgreSQL's text and jsonb hold no U+0000, and UTF-8 has no encoding for half of a UTF-16
 * surrogate pair; JSON and GraphQL escapes (`\u0000`, `\ud800`) can carry both. Such a string would
 * reach the database and fail there with an internal error. The gateway refuses such input up front
 * (gateway/graphql/storable-text.ts), and a listing holding such a string is invalid (validate-listing.ts).
 */
export function unstorable(text: string): string | null {
  if (text.includes('\u0000')) return 'the character U+0000';
  if (!(text as string & { isWellFormed(): boolean }).isWellFormed())
    return 'half of a UTF-16 surrogate pair';
  return null;
}

/** The first string (member names included) in a JSON value that PostgreSQL cannot store, with its path. */
export function findUnstorable(value: unknown, path: string): { path: string; what: string } | null {
  if (typeof value === 'string') {
    const what = unstorable(value);
    return what ? { path, what } : null;
  }
  if (typeof value !== 'object' || value === null) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnstorable(value[i], `${path}/${i}`);
      if (found) return found;
    }
    return null;
  }
  for (const [name, member] of Object.entries(value)) {
    const what = unstorable(name);
    if (what) return { path: `${path}/${JSON.stringify(name).slice(1, -1)}`, what };
    const found = findUnstorable(member, `${path}/${name}`);
    if (found) return found;
  }
  return null;
}
