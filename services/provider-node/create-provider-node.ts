import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { graphql, GraphQLError, GraphQLScalarType, Kind, valueFromASTUntyped } from 'graphql';
import { createRemoteJWKSet } from 'jose';
import {
  NOTIFICATION_SIGNATURE_HEADER,
  NotificationSignatureError,
  verifyNotificationSignature,
} from '../../catalog-schema/notification-signature.ts';
import { DATE_TIME_EXPECTED, parseDateTime } from '../../catalog-schema/date-time.ts';
import { isJsonObject } from '../../catalog-schema/json-object.ts';
import {
  bearerTokenVerifier,
  TokenCheckUnavailable,
  TokenRefused,
  type BearerTokenOptions,
} from './bearer-token-verifier.ts';
import { requestUrl } from '../../gateway/http/request-url.ts';
import { ListingFolder, type FolderListing } from './listing-folder.ts';
import { PagingSnapshots } from './paging-snapshots.ts';

/** How much earlier than the clock a page's `asOf` is (see the listings resolver). */
export const AS_OF_MARGIN_MS = 2000;

export interface ProviderNodeConfig {
  /** The folder of listing documents (JSON or YAML, one listing per file). */
  dir: string;
  /** The catalogue organisation id of the provider, shown in `endpoint` and checked on notifications. */
  providerId?: string;
  /** When set, GraphQL requests need a client-credentials access token of this issuer and audience. */
  auth?: BearerTokenOptions;
  /**
   * The catalogue's JWKS URL (`<gateway>/.well-known/jwks.json`): enables POST /notifications, whose
   * signatures are verified with these keys.
   */
  catalogueJwksUrl?: string;
  /** Called with each verified, new notification (after the 200 is decided). */
  onNotification?: (notification: ReceivedNotification) => void;
  /** Called for each page of listings served: an access log of who harvested what. */
  onListingsRead?: (read: ListingsRead) => void;
}

/** One page of listings served. */
export interface ListingsRead {
  updatedSince: Date | null;
  after: string | null;
  served: number;
}

/** A verified notification from the catalogue. */
export interface ReceivedNotification {
  notificationId: string;
  type: string;
  body: Record<string, unknown>;
  kid: string | undefined;
  receivedAt: Date;
}

/** A provider's own catalogue endpoint, built but not listening. */
export interface ProviderNode {
  readonly httpServer: Server;
  /** Verified notifications, newest last (the last 100). */
  readonly notifications: readonly ReceivedNotification[];
  /** Starts listening; resolves to the GraphQL URL (`http://127.0.0.1:PORT/graphql`). */
  listen(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

const typeDefs = readFileSync(
  new URL('../../catalog-schema/provider-endpoint.graphql', import.meta.url),
  'utf8',
);
const MAX_PAGE = 500;
const MAX_REQUEST_BYTES = 64 * 1024;
const MAX_NOTIFICATION_BYTES = 1024 * 1024;

function badInput(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
}

const DateTime = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  serialize: (value) => (value as Date).toISOString(),
  parseValue: (value) => parseDate(value),
  parseLiteral: (ast) => parseDate(ast.kind === Kind.STRING ? ast.value : null),
});

function parseDate(value: unknown): Date {
  const date = typeof value === 'string' ? parseDateTime(value) : null;
  if (!date) throw badInput(DATE_TIME_EXPECTED);
  return date;
}

const Json = new GraphQLScalarType({
  name: 'JSON',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast, variables) => valueFromASTUntyped(ast, variables),
});

/** A position in the paging order, and the snapshot of the sequence it belongs to (paging-snapshots.ts). */
function encodeCursor(listing: FolderListing, snapshot: string): string {
  return Buffer.from(JSON.stringify([listing.updatedAt.getTime(), listing.id, snapshot])).toString(
    'base64url',
  );
}

/** The cursor's position and snapshot token; a cursor of an earlier version of the node has no token. */
function decodeCursor(cursor: string): [number, string, string | null] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(value) &&
      typeof value[0] === 'number' &&
      typeof value[1] === 'string' &&
      (value.length === 2 || (value.length === 3 && typeof value[2] === 'string'))
    ) {
      return [value[0], value[1], (value[2] as string | undefined) ?? null];
    }
  } catch {
    // fall through
  }
  throw badInput('after is not a cursor of this endpoint');
}

/** Paging sequences whose snapshot is kept, and for how long (paging-snapshots.ts). */
const PAGING_SNAPSHOTS = { max: 8, ttlMs: 60_000 };

/** Oldest change first; the id breaks ties so that pages never skip or repeat a listing. */
function byChange(a: FolderListing, b: FolderListing): number {
  return a.updatedAt.getTime() - b.updatedAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/**
 * Builds the reference provider node: it serves the listing documents of one folder over the provider
 * endpoint contract (catalog-schema/provider-endpoint.graphql), optionally only to callers with a
 * client-credentials token, and receives the catalogue's signed notifications. Does not listen.
 */
export function createProviderNode(config: ProviderNodeConfig): ProviderNode {
  const folder = new ListingFolder(config.dir);
  const snapshots = new PagingSnapshots(PAGING_SNAPSHOTS);
  const verifyToken = config.auth ? bearerTokenVerifier(config.auth) : null;
  const catalogueKeys = config.catalogueJwksUrl ? createRemoteJWKSet(new URL(config.catalogueJwksUrl)) : null;
  const notifications: ReceivedNotification[] = [];
  const seenNotifications = new Set<string>();

  const schema = makeExecutableSchema({
    typeDefs,
    resolvers: {
      DateTime,
      JSON: Json,
      Query: {
        listings: (
          _root,
          args: { updatedSince?: Date | null; first?: number | null; after?: string | null },
        ) => {
          // Taken before reading, and early by a margin: a file changed while we read is stamped by
          // the file system's clock, which can lag Date.now() by a tick (Linux stamps files with a
          // coarse clock: up to 4 ms earlier here) or more (network file systems). Served again
          // next time, an unchanged listing costs nothing: the gateway skips it by its content hash.
          const now = Date.now();
          const first = args.first ?? 100;
          if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE)
            throw badInput(`first must be 1 to ${MAX_PAGE}`);
          const since = args.updatedSince?.getTime() ?? null;
          const cursor = args.after ? decodeCursor(args.after) : null;
          // A further page of a sequence comes from what its first page read, while that is kept.
          const snapshot =
            (cursor?.[2] && snapshots.get(cursor[2], since, now)) ||
            snapshots.add(
              since,
              new Date(Math.floor(now) - AS_OF_MARGIN_MS),
              folder
                .read()
                .listings.filter((l) => since === null || l.updatedAt.getTime() >= since)
                .sort(byChange),
              now,
            );
          const { asOf, listings: matching } = snapshot;
          let start = 0;
          if (cursor) {
            const [time, id] = cursor;
            start = matching.findIndex(
              (l) => l.updatedAt.getTime() > time || (l.updatedAt.getTime() === time && l.id > id),
            );
            if (start === -1) start = matching.length;
          }
          const nodes = matching.slice(start, start + first);
          config.onListingsRead?.({
            updatedSince: args.updatedSince ?? null,
            after: args.after ?? null,
            served: nodes.length,
          });
          return {
            asOf,
            totalCount: matching.length,
            nodes,
            pageInfo: {
              hasNextPage: start + first < matching.length,
              endCursor:
                nodes.length > 0 ? encodeCursor(nodes.at(-1)!, snapshot.token) : (args.after ?? null),
            },
          };
        },
        endpoint: () => {
          const snapshot = folder.read();
          return {
            providerId: config.providerId ?? null,
            listingCount: snapshot.listings.length,
            unreadable: snapshot.unreadable,
          };
        },
      },
    },
  });

  async function handleGraphql(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (verifyToken) {
      try {
        await verifyToken(req.headers.authorization);
      } catch (error) {
        if (error instanceof TokenCheckUnavailable) {
          return send(
            res,
            503,
            {
              errors: [
                {
                  message: error.message,
                  extensions: { code: 'UNAUTHENTICATED', reason: 'ISSUER_UNAVAILABLE' },
                },
              ],
            },
            { 'retry-after': '30' },
          );
        }
        if (!(error instanceof TokenRefused)) throw error;
        return send(
          res,
          401,
          { errors: [{ message: error.message, extensions: { code: 'UNAUTHENTICATED' } }] },
          { 'www-authenticate': 'Bearer error="invalid_token"' },
        );
      }
    }
    let request: { query?: unknown; variables?: unknown; operationName?: unknown } | null;
    if (req.method === 'GET') {
      try {
        const variables = url.searchParams.get('variables');
        request = {
          query: url.searchParams.get('query'),
          variables: variables ? JSON.parse(variables) : undefined,
        };
      } catch {
        return send(res, 400, { errors: [{ message: 'variables is not JSON' }] });
      }
    } else if (req.method === 'POST') {
      const body = await readBody(req, MAX_REQUEST_BYTES);
      if (!body)
        return send(res, 413, { errors: [{ message: `request body over ${MAX_REQUEST_BYTES} bytes` }] });
      try {
        request = JSON.parse(body.toString('utf8')) as typeof request;
      } catch {
        return send(res, 400, { errors: [{ message: 'the body is not JSON' }] });
      }
    } else {
      return send(res, 405, { errors: [{ message: 'use GET or POST' }] }, { allow: 'GET, POST' });
    }
    if (!isJsonObject(request))
      return send(res, 400, { errors: [{ message: 'the body is not a JSON object' }] });
    if (typeof request.query !== 'string')
      return send(res, 400, { errors: [{ message: 'query is missing' }] });
    const { variables } = request;
    if (variables !== undefined && variables !== null && !isJsonObject(variables))
      return send(res, 400, { errors: [{ message: 'variables is not a JSON object' }] });
    const result = await graphql({
      schema,
      source: request.query,
      variableValues: variables ?? undefined,
      operationName: typeof request.operationName === 'string' ? request.operationName : undefined,
    });
    send(res, result.data === undefined && result.errors ? 400 : 200, result);
  }

  async function handleNotification(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!catalogueKeys) {
      return send(res, 404, { error: 'this node receives no notifications (no catalogue JWKS configured)' });
    }
    if (req.method !== 'POST') return send(res, 405, { error: 'use POST' }, { allow: 'POST' });
    const body = await readBody(req, MAX_NOTIFICATION_BYTES);
    if (!body) return send(res, 413, { error: `notification over ${MAX_NOTIFICATION_BYTES} bytes` });
    const header = req.headers[NOTIFICATION_SIGNATURE_HEADER];
    let kid: string | undefined;
    try {
      ({ kid } = await verifyNotificationSignature(
        body,
        typeof header === 'string' ? header : undefined,
        catalogueKeys,
      ));
    } catch (error) {
      if (!(error instanceof NotificationSignatureError)) throw error;
      return send(res, 401, { error: error.message, code: error.code });
    }
    let notification: Record<string, unknown>;
    try {
      notification = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    } catch {
      return send(res, 400, { error: 'the notification is not JSON' });
    }
    const { notificationId, type, provider } = notification;
    if (typeof notificationId !== 'string' || typeof type !== 'string') {
      return send(res, 400, { error: 'a notification needs a string notificationId and type' });
    }
    if (config.providerId && provider !== undefined && provider !== config.providerId) {
      return send(res, 400, {
        error: `the notification is addressed to ${String(provider)}, this node belongs to ${config.providerId}`,
      });
    }
    // Retries repeat a notification with the same id: acknowledge it again, act on it once.
    if (seenNotifications.has(notificationId)) return send(res, 200, { status: 'duplicate', notificationId });
    seenNotifications.add(notificationId);
    if (seenNotifications.size > 10_000) seenNotifications.delete(seenNotifications.values().next().value!);
    const received: ReceivedNotification = {
      notificationId,
      type,
      body: notification,
      kid,
      receivedAt: new Date(),
    };
    notifications.push(received);
    if (notifications.length > 100) notifications.shift();
    send(res, 200, { status: 'received', notificationId });
    config.onNotification?.(received);
  }

  const httpServer = createServer((req, res) => {
    const url = requestUrl(req);
    if (!url) return send(res, 400, { error: 'the request target is not a URL' });
    const handle = async () => {
      if (url.pathname === '/graphql') return handleGraphql(req, res, url);
      if (url.pathname === '/notifications') return handleNotification(req, res);
      if (url.pathname === '/healthz') return send(res, 200, { status: 'ok' });
      send(res, 404, { error: `nothing at ${url.pathname}; the provider endpoint is at /graphql` });
    };
    handle().catch((error: unknown) => {
      console.error(`provider node: ${req.method} ${url.pathname} failed:`, error);
      if (!res.headersSent) send(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });

  return {
    httpServer,
    notifications,
    listen: (port = 0, host = '127.0.0.1') =>
      new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => {
          const { port: actual } = httpServer.address() as AddressInfo;
          const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
          resolve(`http://${shown.includes(':') ? `[${shown}]` : shown}:${actual}/graphql`);
        });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        if (!httpServer.listening) return resolve();
        httpServer.close(() => resolve());
        httpServer.closeAllConnections();
      }),
  };
}
