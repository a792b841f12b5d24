import { unstorable } from '../../catalog-schema/storable-text.ts';
import { UserError } from '../errors.ts';

/** The title order of browsing: DIN 5007-1 (title-sort-key.ts). */
export const TITLE_ORDER = 'din5007';

/** The position after which the next page starts, bound to the search it came from. */
export interface Cursor {
  /** Fingerprint of the search and filter the cursor belongs to. */
  f: string;
  /** Relevance of the last row (searches) or its title (browsing). */
  r?: number;
  t?: string;
  /**
   * Browsing: the title order the cursor continues, always TITLE_ORDER. The keyset is the title's
   * sort key (computed from `t` again), the title and the id. Title cursors from before the German
   * order (2026-11-27) carry none and are refused as malformed: they point into the byte order.
   */
  o?: typeof TITLE_ORDER;
  /** The last row's id: the tiebreaker that makes the order total. */
  i: string;
}

/** Encodes a cursor as opaque base64url text. */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

/** Which order a cursor continues: relevance (a search) or title (browsing). */
export type CursorKind = 'rank' | 'title';

const malformed = () =>
  new UserError(
    'BAD_USER_INPUT',
    "The cursor in `after` is malformed; use a cursor from this search's edges or pageInfo.endCursor.",
    { argument: 'after' },
  );

/**
 * The longest cursor accepted, with room to spare over the longest one handed out: a title cursor
 * holds a title of up to 200 characters, which JSON and UTF-8 make up to 1,200 bytes (a control
 * character is escaped as six), an id of up to 128, a 16-character fingerprint and the order's name
 * (not the title's sort key, which NFKD can make 18 times as long); base64url makes that at most
 * about 1,870 characters. (Until 2026-11-27 the limit was 1,000, and browsing stopped at a
 * title of 200 emoji: the gateway refused its own cursor.)
 */
export const MAX_CURSOR_LENGTH = 4096;

/**
 * Decodes `after`; anything that is not a cursor is BAD_USER_INPUT. The text goes back to SQL, so a
 * string PostgreSQL cannot hold (U+0000, half a surrogate pair, which JSON escapes can carry) is
 * refused here rather than failing there. `checkCursor` then binds it to the search.
 */
export function decodeCursor(text: string): Cursor {
  if (text.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(text)) throw malformed();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw malformed();
  }
  if (typeof value !== 'object' || value === null) throw malformed();
  const c = value as Record<string, unknown>;
  if (typeof c.f !== 'string' || typeof c.i !== 'string' || unstorable(c.i)) throw malformed();
  if (c.r !== undefined && (typeof c.r !== 'number' || !Number.isFinite(c.r))) throw malformed();
  if (c.t !== undefined && (typeof c.t !== 'string' || unstorable(c.t))) throw malformed();
  if ((c.r === undefined) === (c.t === undefined)) throw malformed();
  if (c.o !== (c.t === undefined ? undefined : TITLE_ORDER)) throw malformed();
  return c as unknown as Cursor;
}

/**
 * A cursor continues only the search it came from: the same fingerprint (see searchServices) and
 * the same order. A title cursor in a relevance search would compare ranks with nothing and end the
 * results silently.
 */
export function checkCursor(cursor: Cursor, fingerprint: string, kind: CursorKind): Cursor {
  if ((kind === 'rank') !== (cursor.r !== undefined)) throw malformed();
  if (cursor.f !== fingerprint) {
    throw new UserError(
      'BAD_USER_INPUT',
      'The cursor in `after` belongs to a different search or filter, or the words this search looks for changed since its first page (a typo correction that now applies or no longer does); request the first page of this search again.',
      { argument: 'after' },
    );
  }
  return cursor;
}
