import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type HTTPGraphQLRequest } from '@apollo/server';
import { getOperationAST, parse } from 'graphql';
import type { GatewayContext } from '../graphql/context.ts';
import type { DirectExecution } from '../graphql/direct-execution.ts';
import { responseCacheKey } from '../graphql/response-cache/cache-key.ts';
import { trackRequest, type RequestCacheability } from '../graphql/response-cache/request-cacheability.ts';
import type { ResponseCache } from '../graphql/response-cache/response-cache.ts';
import { BodyTooLargeError, readBody } from './read-body.ts';
import { sendGraphQLError } from './respond.ts';

export interface GraphQLHandlerOptions {
  apollo: ApolloServer<GatewayContext>;
  /** Builds the request's context; throws a UserError (UNAUTHENTICATED) for a bad token. */
  context: (req: IncomingMessage) => Promise<GatewayContext>;
  /** Answers known queries without Apollo Server's pipeline; omitted: Apollo Server answers everything. */
  direct?: DirectExecution;
  /** Largest accepted request body in bytes. */
  maxBodyBytes: number;
  /** Answers repeated queries from memory; omitted: every request runs. */
  responseCache?: {
    cache: ResponseCache;
    /** The caller's visibility (response-cache/cache-key.ts), or null for credentials that fail. */
    visibility: (req: IncomingMessage) => Promise<string | null>;
    /** Stored responses report `extensions.sqlStatements: 0`: a hit sends no SQL. */
    exposeSqlStatementCount: boolean;
    /** Longest time an entry is served, in ms, even if nothing changes. */
    ttlMs: number;
  };
}

/** Says whether a response came from the response cache (`hit`) or was computed and offered to it (`miss`). */
export const RESPONSE_CACHE_HEADER = 'x-response-cache';

/** Serves GraphQL over HTTP (GET and POST) by handing the request to Apollo Server. */
export function graphqlHandler(options: GraphQLHandlerOptions) {
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const flight: { land?: () => void } = {};
    try {
      await serve(req, res, url, flight);
    } finally {
      flight.land?.();
    }
  };

  /** `flight.land` is set when this request computes a response others wait for; the caller ends it. */
  async function serve(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    flight: { land?: () => void },
  ): Promise<void> {
    // An answer may depend on the caller (a member sees its organisation's records) and is stale after
    // the next write: no HTTP cache in between (a proxy, a CDN) may store it. The response cache
    // above is the one that knows both (response-cache/README.md).
    res.setHeader('cache-control', 'no-store');
    let body: unknown = undefined;
    let cacheKey: string | undefined;
    let ticket: number | null = null;
    let tracked: RequestCacheability | undefined;
    const cache = options.responseCache;
    if (req.method === 'POST') {
      let raw: Buffer;
      try {
        raw = await readBody(req, options.maxBodyBytes);
      } catch (error) {
        if (error instanceof BodyTooLargeError) {
          res.setHeader('connection', 'close');
          return sendGraphQLError(
            res,
            413,
            'BAD_USER_INPUT',
            `The request body is larger than ${options.maxBodyBytes} bytes.`,
          );
        }
        throw error;
      }
      // The media type without parameters, as Apollo Server's CSRF check reads it.
      const mediaType = (req.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
      const json = mediaType === 'application/json' || mediaType === 'application/graphql-response+json';
      // Only JSON POSTs are cached or executed directly: they pass Apollo's CSRF checks by their
      // content type alone, so neither skips anything that Apollo would have refused.
      if (cache?.cache.enabled && json && raw.length > 0) {
        const visibility = await cache.visibility(req);
        if (visibility !== null) {
          cacheKey = responseCacheKey(visibility, req.headers.accept ?? '', raw);
          // The same request in flight: its response, once stored, answers this one too.
          const hit =
            cache.cache.get(cacheKey) ??
            (cache.cache.hasLeader(cacheKey) ? await cache.cache.afterLeader(cacheKey) : undefined);
          if (hit) {
            res.writeHead(200, [...hit.headers, [RESPONSE_CACHE_HEADER, 'hit']].flat());
            res.end(hit.body);
            return;
          }
          ticket = cache.cache.ticket();
        }
      }
      if (json) {
        try {
          body = raw.length > 0 ? JSON.parse(raw.toString('utf8')) : undefined;
        } catch {
          return sendGraphQLError(res, 400, 'BAD_REQUEST', 'The request body is not valid JSON.');
        }
        // Only a query leads: the same mutation sent again while the first runs must run too.
        if (ticket !== null && cacheKey !== undefined && isQuery(body)) {
          flight.land = cache!.cache.lead(cacheKey);
        }
      } else {
        body = raw.toString('utf8');
      }
    }
    // The request's context, as Apollo Server asks for it, tracked for the response cache.
    const context = async () => {
      const built = await options.context(req);
      if (ticket !== null && cache) tracked = trackRequest(built, cache.cache.watchedTables);
      return built;
    };
    /** Sends a whole response and offers it to the response cache. */
    const complete = (status: number, headers: Iterable<[string, string]>, text: string) => {
      for (const [name, value] of headers) res.setHeader(name, value);
      res.statusCode = status;
      if (cache && cacheKey !== undefined && ticket !== null) {
        res.setHeader(RESPONSE_CACHE_HEADER, 'miss');
        if (tracked?.cacheable && status === 200) {
          const stored = cache.exposeSqlStatementCount ? withoutStatementCount(text) : text;
          const expiresAt = Math.min(Date.now() + cache.ttlMs, tracked.validUntil ?? Infinity);
          cache.cache.store(ticket, cacheKey, {
            headers: [...headers, ['content-length', String(Buffer.byteLength(stored))]],
            body: Buffer.from(stored),
            expiresAt,
            tables: tracked.tables,
          });
        }
      }
      res.end(text);
    };

    if (options.direct && body !== undefined) {
      const accept = req.headers.accept;
      const answer = await options.direct.answer(body, accept, context);
      if (answer) return complete(200, [['content-type', answer.contentType]], answer.body);
    }

    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const httpGraphQLRequest: HTTPGraphQLRequest = {
      method: req.method ?? 'GET',
      headers,
      search: url.search,
      body,
    };
    const response = await options.apollo.executeHTTPGraphQLRequest({ httpGraphQLRequest, context });
    if (response.body.kind === 'complete') {
      return complete(response.status ?? 200, response.headers, response.body.string);
    }
    for (const [name, value] of response.headers) res.setHeader(name, value);
    res.statusCode = response.status ?? 200;
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  }
}

/**
 * Whether a parsed JSON request body asks for a query operation (not a mutation or subscription);
 * false for anything that does not parse. Only a request that missed the cache pays for this parse.
 */
function isQuery(body: unknown): boolean {
  const request = body as { query?: unknown; operationName?: unknown } | undefined;
  if (typeof request?.query !== 'string') return false;
  const operationName = typeof request.operationName === 'string' ? request.operationName : null;
  try {
    return getOperationAST(parse(request.query), operationName)?.operation === 'query';
  } catch {
    return false;
  }
}

/** A response as a cache hit reports it: a hit sends no SQL statement. */
function withoutStatementCount(text: string): string {
  const result = JSON.parse(text) as { extensions?: Record<string, unknown> };
  if (result.extensions && 'sqlStatements' in result.extensions) result.extensions.sqlStatements = 0;
  return JSON.stringify(result);
}
