import { recordTablesNamed } from '../../database/statement-counter.ts';

/** What the response cache learns about one GraphQL request while it runs. */
export interface RequestCacheability {
  /** Set by the plugin once the response is known: a query, answered without errors. */
  cacheable: boolean;
  /** Why a resolver ruled caching out, or null. */
  preventedBecause: string | null;
  /** The earliest moment (ms since the epoch) a resolver said its answer stops being true, or null. */
  validUntil: number | null;
  /** The watched tables the request's SQL statements named so far: what its answer was read from. */
  tables: ReadonlySet<string>;
}

// Kept on the request's context object under a symbol: Apollo Server hands resolvers and plugins a
// shallow copy of the context, which copies symbol-keyed properties too (a WeakMap keyed by the
// original object would not find the copy).
const TRACKING = Symbol('response cache tracking');

type Tracked = { [TRACKING]?: RequestCacheability };

/**
 * Starts tracking the request whose GraphQL context this is, recording which of `watchedTables` its
 * statements read; called before execution. A request whose statements are not counted (so not
 * recorded either) is never cached.
 */
export function trackRequest(context: object, watchedTables: ReadonlySet<string>): RequestCacheability {
  const tables = recordTablesNamed(context, watchedTables);
  const tracked: RequestCacheability = {
    cacheable: false,
    preventedBecause: tables ? null : 'the tables it reads are not recorded',
    validUntil: null,
    tables: tables ?? new Set(),
  };
  (context as Tracked)[TRACKING] = tracked;
  return tracked;
}

/** The tracking record of a request, if the cache tracks it. */
export function trackedRequest(context: object): RequestCacheability | undefined {
  return (context as Tracked)[TRACKING];
}

/**
 * Keeps the current response out of the response cache. Call it from a resolver whose answer must
 * not be replayed even to the same caller for the same request while the catalogue is unchanged
 * (a random choice, an answer about something outside the database). Answers that differ by caller
 * need nothing: the cache key includes who is asking.
 */
export function preventResponseCaching(context: object, reason: string): void {
  const tracked = (context as Tracked)[TRACKING];
  if (tracked) {
    tracked.cacheable = false;
    tracked.preventedBecause = reason;
  }
}

/**
 * Says that the current response stops being true at `until` although no table changes then: a
 * status computed against the clock (a certificate that expires, a check that runs out). A cached
 * copy is dropped at that moment. Earlier moments win; moments in the past keep the response out.
 */
export function cacheResponseUntil(context: object, until: Date): void {
  const tracked = (context as Tracked)[TRACKING];
  if (!tracked) return;
  const at = until.getTime();
  tracked.validUntil = tracked.validUntil === null ? at : Math.min(tracked.validUntil, at);
}
