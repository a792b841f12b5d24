import { createHash } from 'node:crypto';

/**
 * Serialises a JSON value as RFC 8785 (JSON Canonicalization Scheme) text: object members sorted by
 * their names' UTF-16 code units, no whitespace, numbers and strings as ECMAScript's JSON.stringify
 * writes them. The content hash of a listing is defined over this text.
 */
export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('canonical JSON cannot represent a non-finite number');
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      // Written into one string as it goes: content hashes are taken on every publish, and the
      // arrays of entries and parts that map and join build cost a third of the time.
      if (Array.isArray(value)) {
        let text = '[';
        for (let i = 0; i < value.length; i++) text += (i > 0 ? ',' : '') + canonicalJson(value[i]);
        return `${text}]`;
      }
      const members = value as Record<string, unknown>;
      let text = '';
      // Default sort compares UTF-16 code units, which is what RFC 8785 prescribes.
      for (const name of Object.keys(members).sort()) {
        const member = members[name];
        if (member === undefined) continue;
        text += `${text === '' ? '' : ','}${quotedName(name)}:${canonicalJson(member)}`;
      }
      return `{${text}}`;
    }
    default:
      throw new TypeError(`canonical JSON cannot represent a value of type ${typeof value}`);
  }
}

/** Member names repeat from document to document: each is quoted once (up to a bound). */
const QUOTED_NAMES = new Map<string, string>();
const MAX_QUOTED_NAMES = 1000;

function quotedName(name: string): string {
  let quoted = QUOTED_NAMES.get(name);
  if (quoted === undefined) {
    quoted = JSON.stringify(name);
    if (QUOTED_NAMES.size < MAX_QUOTED_NAMES) QUOTED_NAMES.set(name, quoted);
  }
  return quoted;
}

/** The content hash of a listing document: lowercase hex SHA-256 of its RFC 8785 canonical JSON. */
export function contentHash(document: unknown): string {
  return createHash('sha256').update(canonicalJson(document), 'utf8').digest('hex');
}
