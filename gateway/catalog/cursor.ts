import { UserError } from '../errors.ts';

/** The position after which the next page starts, bound to the search it came from. */
export interface Cursor {
  /** Fingerprint of the search and filter the cursor belongs to. */
  f: string;
  /** Relevance of the last row (searches) or its title (browsing). */
  r?: number;
  t?: string;
  /** The last row's id: the tiebreaker that makes the order total. */
  i: string;
}

/** Encodes a cursor as opaque base64url text. */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

/** Decodes `after`; anything that is not a cursor of this very search and filter is BAD_USER_INPUT. */
export function decodeCursor(text: string, fingerprint: string): Cursor {
  const invalid = () =>
    new UserError(
      'BAD_USER_INPUT',
      "The cursor in `after` is malformed; use a cursor from this search's edges or pageInfo.endCursor.",
      {
        argument: 'after',
      },
    );
  if (text.length > 1000 || !/^[A-Za-z0-9_-]+$/.test(text)) throw invalid();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof value !== 'object' || value === null) throw invalid();
  const c = value as Record<string, unknown>;
  if (typeof c.f !== 'string' || typeof c.i !== 'string') throw invalid();
  if (c.r !== undefined && (typeof c.r !== 'number' || !Number.isFinite(c.r))) throw invalid();
  if (c.t !== undefined && typeof c.t !== 'string') throw invalid();
  if ((c.r === undefined) === (c.t === undefined)) throw invalid();
  if (c.f !== fingerprint) {
    throw new UserError(
      'BAD_USER_INPUT',
      'The cursor in `after` belongs to a different search or filter; request the first page of this search again.',
      { argument: 'after' },
    );
  }
  return c as unknown as Cursor;
}
