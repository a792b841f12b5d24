import { UserError } from '../errors.ts';

/** The lists paged by an ever-growing sequence: subscriptions by `seq`, deliveries by `id`. */
export type SequenceList = 'service_subscription' | 'subscription_outbox';

/**
 * Keyset cursors over an ever-growing sequence, newest first. A cursor names its list: a position
 * in one sequence means nothing in the other, and would cut the other list at a random place.
 */
export function encodeSequenceCursor(list: SequenceList, sequence: string | number): string {
  return Buffer.from(`${list}:${sequence}`, 'utf8').toString('base64url');
}

const MAX_BIGINT = 2n ** 63n - 1n;

/** Decodes `after`, a cursor of `list`; anything else is BAD_USER_INPUT. */
export function decodeSequenceCursor(list: SequenceList, text: string): string {
  const decoded = /^[A-Za-z0-9_-]{1,100}$/.test(text) ? Buffer.from(text, 'base64url').toString('utf8') : '';
  const match = /^([a-z_]+):([1-9][0-9]{0,18})$/.exec(decoded);
  // Nineteen digits may still lie beyond PostgreSQL's bigint, which the cursor is compared as.
  if (!match || match[1] !== list || BigInt(match[2]!) > MAX_BIGINT) {
    throw new UserError(
      'BAD_USER_INPUT',
      "The cursor in `after` is malformed or belongs to another list; use a cursor from this list's edges.",
      {
        argument: 'after',
      },
    );
  }
  return match[2]!;
}

/** `first` is 1 to 100. */
export function pageSize(first: number | null | undefined): number {
  const size = first ?? 20;
  if (!Number.isInteger(size) || size < 1 || size > 100) {
    throw new UserError('BAD_USER_INPUT', '`first` must be from 1 to 100.', { argument: 'first' });
  }
  return size;
}

/** One page of a list, plus how many items the whole list holds. */
export interface Page<T> {
  rows: T[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  totalCount: number;
}
