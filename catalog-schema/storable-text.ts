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

/**
 * A text's length as PostgreSQL's length() counts it: in characters (code points), not UTF-16 units.
 * A surrogate pair is one character, a lone surrogate one too (as `[...text].length` counts them);
 * counted without building a string per character, since a refused query text can be a megabyte.
 */
export function characterCount(text: string): number {
  let pairs = 0;
  for (let i = 0; i < text.length - 1; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        pairs++;
        i++;
      }
    }
  }
  return text.length - pairs;
}

/** A member name as a reference token of a JSON Pointer (RFC 6901): `~` is `~0`, `/` is `~1`. */
export function pointerToken(name: string): string {
  return name.replace(/~/g, '~0').replace(/\//g, '~1');
}

type Visit = { value: unknown; path: string } | { name: string; path: string };

/**
 * Text as PostgreSQL can store it, to be shown: text holding U+0000 or half a surrogate pair appears
 * JSON-escaped (`\u0000`), other text as it is. A problem that names bad input can then itself be
 * stored (a harvest run's rejections are jsonb).
 */
export function storableText(text: string): string {
  return unstorable(text) ? JSON.stringify(text).slice(1, -1) : text;
}

/** A member name as a reference token of a JSON Pointer that PostgreSQL can store (storableText). */
export function memberToken(name: string): string {
  return pointerToken(storableText(name));
}

/**
 * The first string (member names included) in a JSON value that PostgreSQL cannot store, with its
 * JSON Pointer. Walks with a stack of its own, not by recursion: input nested thousands of levels
 * deep (a few kB of brackets) must get an answer, not overflow the call stack.
 */
export function findUnstorable(value: unknown, path: string): { path: string; what: string } | null {
  const stack: Visit[] = [{ value, path }];
  for (let visit = stack.pop(); visit !== undefined; visit = stack.pop()) {
    if ('name' in visit) {
      const what = unstorable(visit.name);
      // The path names the member with its bad character escaped, so that the answer itself is storable.
      if (what) return { path: `${visit.path}/${memberToken(visit.name)}`, what };
      continue;
    }
    const current = visit.value;
    if (typeof current === 'string') {
      const what = unstorable(current);
      if (what) return { path: visit.path, what };
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--)
        stack.push({ value: current[i], path: `${visit.path}/${i}` });
    } else if (typeof current === 'object' && current !== null) {
      const entries = Object.entries(current);
      // In document order: each member's name, then what it holds.
      for (let i = entries.length - 1; i >= 0; i--) {
        const [name, member] = entries[i]!;
        stack.push({ value: member, path: `${visit.path}/${pointerToken(name)}` });
        stack.push({ name, path: visit.path });
      }
    }
  }
  return null;
}
