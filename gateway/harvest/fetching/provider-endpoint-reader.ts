import { GuardedFetchError, type GuardedFetch } from '../../http/guarded-fetch.ts';
import {
  HarvestFailure,
  type EndpointReader,
  type EndpointTarget,
  type HarvestedEntry,
  type ListingChanges,
} from '../types.ts';
import type { HarvesterToken } from './harvester-token.ts';
import { withRetries } from './with-retries.ts';
import { DATE_TIME_EXPECTED, parseDateTime } from '../../../catalog-schema/date-time.ts';

// catalog-schema/provider-endpoint.graphql
const LISTINGS_QUERY = `query Listings($updatedSince: DateTime, $first: Int, $after: String) {
  listings(updatedSince: $updatedSince, first: $first, after: $after) {
    asOf
    nodes { id document }
    pageInfo { hasNextPage endCursor }
  }
}`;

export interface ProviderEndpointReaderOptions {
  /** The guarded fetch: address rules, per-request timeout and response size cap. */
  fetch: GuardedFetch;
  token: HarvesterToken;
  pageSize: number;
  /** More listings than this in one read fail the run (TOO_MANY_LISTINGS). */
  maxListings: number;
  retries: number;
  retryBackoffMs: number;
}

interface Page {
  asOf: Date;
  nodes: HarvestedEntry[];
  hasNextPage: boolean;
  endCursor: string | null;
}

function failureOf(error: GuardedFetchError): HarvestFailure {
  switch (error.code) {
    case 'TIMEOUT':
      return new HarvestFailure('TIMEOUT', error.message, true, { cause: error });
    case 'CONNECTION_FAILED':
      return new HarvestFailure('UNREACHABLE', error.message, true, { cause: error });
    case 'RESPONSE_TOO_LARGE':
      return new HarvestFailure('RESPONSE_TOO_LARGE', error.message, false, { cause: error });
    case 'ADDRESS_REFUSED':
    case 'URL_REFUSED':
      return new HarvestFailure(error.code, error.message, false, { cause: error });
    case 'TOO_MANY_REDIRECTS':
      return new HarvestFailure('BAD_RESPONSE', error.message, false, { cause: error });
  }
}

function bad(target: EndpointTarget, what: string): HarvestFailure {
  return new HarvestFailure('BAD_RESPONSE', `${target.url} ${what}`, false);
}

function parsePage(target: EndpointTarget, body: unknown, httpStatus: number): Page {
  const { data, errors } = (body ?? {}) as { data?: unknown; errors?: { message?: unknown }[] };
  const listings = (data as { listings?: unknown } | null | undefined)?.listings as
    | { asOf?: unknown; nodes?: unknown; pageInfo?: { hasNextPage?: unknown; endCursor?: unknown } }
    | null
    | undefined;
  if (!listings) {
    // What the endpoint said, so that its provider can fix it: its first GraphQL error, else its body
    // (a wrong path answers 404 with a JSON error of its own).
    const message = Array.isArray(errors)
      ? String(errors[0]?.message ?? 'an error')
      : (JSON.stringify(body) ?? 'nothing');
    const status = httpStatus >= 200 && httpStatus < 300 ? '' : ` (HTTP ${httpStatus})`;
    throw bad(target, `answered without listings${status}: ${message.slice(0, 300)}`);
  }
  // The watermark of the next incremental run: read as strictly as any DateTime (a 30 February or a
  // time without an offset would move it, and the changes it skipped would wait for a full sync).
  const asOf = typeof listings.asOf === 'string' ? parseDateTime(listings.asOf) : null;
  if (!asOf) throw bad(target, `answered without a valid asOf (${DATE_TIME_EXPECTED})`);
  if (!Array.isArray(listings.nodes)) throw bad(target, 'answered without nodes');
  const nodes = listings.nodes.map((node: unknown, i: number) => {
    const entry = node as { id?: unknown; document?: unknown } | null;
    if (!entry || typeof entry.id !== 'string' || entry.document === undefined)
      throw bad(target, `answered a node without id or document (node ${i})`);
    return { id: entry.id, document: entry.document };
  });
  // The contract says `pageInfo: PageInfo!` with `hasNextPage: Boolean!`. Read leniently, a page
  // without them would end a full snapshot early, and what it left out would be withdrawn.
  const pageInfo = listings.pageInfo;
  if (typeof pageInfo !== 'object' || pageInfo === null || typeof pageInfo.hasNextPage !== 'boolean')
    throw bad(target, 'answered without pageInfo.hasNextPage');
  const endCursor = pageInfo.endCursor;
  if (pageInfo.hasNextPage && typeof endCursor !== 'string')
    throw bad(target, 'says there is a next page but gives no endCursor');
  return {
    asOf,
    nodes,
    hasNextPage: pageInfo.hasNextPage,
    endCursor: typeof endCursor === 'string' ? endCursor : null,
  };
}

/**
 * Reads a provider endpoint over the contract in catalog-schema/provider-endpoint.graphql: every page
 * of the full snapshot (`since` null) or of the delta since `since`. Each request goes through the
 * guarded fetch and is retried with backoff when the failure is transient; any page failing for good
 * fails the whole read, so a run never applies half a snapshot.
 */
export function providerEndpointReader(options: ProviderEndpointReaderOptions): EndpointReader {
  async function fetchPage(
    target: EndpointTarget,
    since: Date | null,
    after: string | null,
    signal: AbortSignal | undefined,
    retryWithNewToken = true,
  ): Promise<Page> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
    };
    const token = target.requiresToken ? await options.token() : null;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let response: Response;
    try {
      response = await options.fetch(target.url, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          query: LISTINGS_QUERY,
          variables: { updatedSince: since?.toISOString() ?? null, first: options.pageSize, after },
        }),
        signal,
      });
    } catch (error) {
      if (error instanceof GuardedFetchError) throw failureOf(error);
      throw error; // aborted: the run is being stopped
    }
    if (response.status === 401 && token !== null && options.token.forget(token) && retryWithNewToken) {
      // A cached token refused before it expired (revoked, or the endpoint no longer trusts its
      // signing key): once more with a new one, rather than fail every run until it expires.
      await response.body?.cancel();
      return fetchPage(target, since, after, signal, false);
    }
    if (response.status === 401 || response.status === 403) {
      throw new HarvestFailure(
        'UNAUTHORIZED',
        `${target.url} refused the harvester (HTTP ${response.status})`,
        false,
      );
    }
    if (response.status >= 500 || response.status === 429) {
      throw new HarvestFailure('UNREACHABLE', `${target.url} answered HTTP ${response.status}`, true);
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      throw bad(target, `answered HTTP ${response.status} without JSON`);
    }
    return parsePage(target, body, response.status);
  }

  return {
    async read(target, since, signal): Promise<ListingChanges> {
      // Map order is insertion order: a listing that changed while we paged shows up again later,
      // and the later (newer) copy wins.
      const entries = new Map<string, HarvestedEntry>();
      let asOf: Date | undefined;
      let after: string | null = null;
      // A cursor that comes back, or pages that keep repeating the same listings under new cursors,
      // would page forever (the run's lease is renewed while it reads): both fail the read.
      const cursors = new Set<string>();
      let fetched = 0;
      for (;;) {
        const page = await withRetries(() => fetchPage(target, since, after, signal), {
          retries: options.retries,
          backoffMs: options.retryBackoffMs,
          signal,
        });
        asOf ??= page.asOf;
        for (const node of page.nodes) {
          entries.delete(node.id);
          entries.set(node.id, node);
        }
        if (entries.size > options.maxListings) {
          throw new HarvestFailure(
            'TOO_MANY_LISTINGS',
            `${target.url} serves more than ${options.maxListings} listings (HARVEST_MAX_LISTINGS)`,
            false,
          );
        }
        if (!page.hasNextPage) break;
        if (page.nodes.length === 0 || !page.endCursor || cursors.has(page.endCursor))
          throw bad(target, 'says there is a next page but its cursor does not advance');
        // Listings that change while we page come again: twice the limit leaves room for that.
        fetched += page.nodes.length;
        if (fetched > 2 * options.maxListings)
          throw bad(
            target,
            `served more than ${2 * options.maxListings} listings while paging: its pages repeat`,
          );
        cursors.add(page.endCursor);
        after = page.endCursor;
      }
      return { type: since === null ? 'full' : 'delta', asOf, entries: [...entries.values()] };
    },
  };
}
