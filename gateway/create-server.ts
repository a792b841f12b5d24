import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, HeaderMap } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { GraphQLError } from 'graphql';
import { Gauge } from 'prom-client';
import { sql } from 'kysely';
import { authenticateOnce } from './auth/authenticate-once.ts';
import { gatewayAuthenticator, type Authenticator } from './auth/authenticator.ts';
import {
  createOidcAuthenticator,
  DISCOVERY_RETRY_MS,
  type OutboundFetch,
} from './auth/oidc-authenticator.ts';
import { oidcOutboundFetch } from './auth/oidc-outbound-fetch.ts';
import type { SubscriptionsModule } from './subscriptions/subscriptions-module.ts';
import { syncReferenceData } from './catalog/sync-reference-data.ts';
import type { GatewayConfig } from './config.ts';
import { createDatabase } from './database/create-database.ts';
import type { DatabaseHandle } from './database/database.ts';
import { migrateToLatest, pendingMigrations } from './database/migrate.ts';
import { createFormatError, UserError } from './errors.ts';
import type { RouteHandler } from './gateway-module.ts';
import { createHarvester, type Harvester } from './harvest/harvester.ts';
import { harvestModule } from './harvest/harvest-module.ts';
import type { GatewayContext } from './graphql/context.ts';
import { attachStatementCount, countingDatabase } from './database/statement-counter.ts';
import { compiledExecution } from './graphql/compiled-execution.ts';
import { createLoaders } from './graphql/loaders.ts';
import { aliasLimitRule } from './graphql/query-limits/alias-limit-rule.ts';
import { directExecution } from './graphql/direct-execution.ts';
import { apolloPluginOf, type OperationHook } from './graphql/operation-hooks.ts';
import { costLimit } from './graphql/query-limits/cost-limit.ts';
import { depthLimitRule } from './graphql/query-limits/depth-limit-rule.ts';
import { storableLiteralsRule, storableVariables } from './graphql/storable-text.ts';
import { documentLengthRule } from './graphql/query-limits/document-length-rule.ts';
import { documentTokenLimit } from './graphql/query-limits/document-tokens-plugin.ts';
import { visibilityOf } from './graphql/response-cache/cache-key.ts';
import { followCatalogChanges } from './graphql/response-cache/catalog-change-feed.ts';
import { ResponseCache } from './graphql/response-cache/response-cache.ts';
import { registerResponseCacheMetrics } from './graphql/response-cache/response-cache-metrics.ts';
import { responseCacheHook } from './graphql/response-cache/response-cache-hook.ts';
import { createSchema } from './graphql/schema.ts';
import { sqlStatementCount } from './graphql/sql-statement-count.ts';
import { graphqlHandler } from './http/graphql-handler.ts';
import { createMetrics } from './http/metrics.ts';
import { requestUrl } from './http/request-url.ts';
import { sendJson } from './http/respond.ts';
import { createWriteModules } from './write-modules.ts';

/** How long a shutdown waits for requests in flight before it closes their connections. */
export const SHUTDOWN_GRACE_MS = 20_000;

export interface CreateServerOptions {
  /** An open database to use instead of opening `config.database`; the caller keeps ownership. */
  database?: DatabaseHandle;
  /** Replaces the authenticator the configuration implies. */
  authenticator?: Authenticator;
  /** Performs the OIDC requests (discovery, key sets). Default: the guarded fetch for the configured issuers. */
  oidcFetch?: OutboundFetch;
}

/**
 * How many distinct operations are kept compiled: about 100 KiB of heap each (the benchmark's
 * search), so at most about 20 MiB; a portal sends a few dozen distinct operations.
 */
const COMPILED_OPERATIONS = 200;

/** The catalogue gateway, built and ready, but not listening. */
export interface CatalogueServer {
  readonly httpServer: Server;
  readonly database: DatabaseHandle;
  readonly config: GatewayConfig;
  /** Subscription notifications and certification notices; tests drive `deliverDue` and the check directly. */
  readonly subscriptions: SubscriptionsModule;
  /** Harvests provider endpoints; tests drive `harvestDue(now)` directly. */
  readonly harvester: Harvester;
  /** Whole responses of repeated queries; null when `RESPONSE_CACHE_MAX_BYTES` is 0. */
  readonly responseCache: ResponseCache | null;
  /** Starts listening; resolves to the base URL (`http://127.0.0.1:PORT`). */
  listen(port?: number, host?: string): Promise<string>;
  /** Stops accepting requests, finishes open ones, and closes what the server owns. */
  close(): Promise<void>;
}

/**
 * Builds the whole gateway: database (migrated, reference data in sync, demo data in demo mode),
 * GraphQL schema, Apollo Server and the HTTP routes. Does not listen; `main.ts` does.
 */
export async function createServer(
  config: GatewayConfig,
  options: CreateServerOptions = {},
): Promise<CatalogueServer> {
  const ownsDatabase = options.database === undefined;
  const database = options.database ?? (await createDatabase(config.database));
  const { db } = database;
  await migrateToLatest(db);
  await syncReferenceData(db);
  // Each component contributes routes, write hooks and background work through a GatewayModule;
  // certification and subscriptions take part in every catalogue write.
  const write = await createWriteModules(db, config);
  const { certification, subscriptions, hooks } = write;

  const authenticator =
    options.authenticator ??
    gatewayAuthenticator({
      bearer:
        config.oidc.issuers.length > 0
          ? createOidcAuthenticator(config.oidc, {
              fetch: options.oidcFetch ?? oidcOutboundFetch(config.oidc),
            })
          : null,
      devPrincipalHeader: config.devPrincipalHeader,
    });
  // Harvested listings are written through the same composed hooks as pushed ones (audit, caches).
  const harvester = createHarvester({ db, hooks, config: config.harvest });
  const modules = [...write.modules, harvestModule(harvester, db)];
  if (config.seedDemoData) {
    // Through the same write path and hooks as the API: the audit chain covers the demo data too.
    const { seedDemoCatalogue } = await import('../services/demo/seed-demo-catalogue.ts');
    await seedDemoCatalogue(db, hooks);
    const { seedDemoCertification } = await import('../services/demo/seed-demo-certification.ts');
    await seedDemoCertification(db, { signer: certification.signer, hooks });
    const { seedDemoSubscriptions } = await import('../services/demo/seed-demo-subscriptions.ts');
    await seedDemoSubscriptions(db);
  }
  const metrics = createMetrics();
  for (const module of modules) module.registerMetrics?.(metrics.registry);
  // Whole responses of repeated queries, dropped on every catalogue change (graphql/response-cache/).
  const responseCache =
    config.graphql.responseCacheMaxBytes > 0
      ? new ResponseCache({ maxBytes: config.graphql.responseCacheMaxBytes })
      : null;
  const catalogChanges = responseCache ? await followCatalogChanges(database, responseCache) : null;
  if (responseCache) registerResponseCacheMetrics(metrics.registry, responseCache);
  const limits = config.graphql.limits;
  const tokenLimit = documentTokenLimit(limits.maxDocumentTokens);
  // Hot operations run compiled; Apollo Server keeps parsing, validation, plugins and HTTP.
  const schema = createSchema();
  const execution = compiledExecution(schema, {
    compileAfterUses: config.graphql.compileAfterUses,
    maxOperations: COMPILED_OPERATIONS,
  });
  // Checks and reports for every operation, however it is answered: through Apollo Server, or
  // directly once it is known and compiled (graphql/direct-execution.ts).
  const operationHooks: OperationHook[] = [
    storableVariables(),
    costLimit({ maxCost: limits.maxCost }),
    sqlStatementCount({ expose: config.exposeSqlStatementCount, metrics }),
    ...(responseCache ? [responseCacheHook(responseCache)] : []),
  ];
  const apollo = new ApolloServer<GatewayContext>({
    gateway: execution.gateway,
    formatError: createFormatError({ fieldSuggestions: config.graphql.fieldSuggestions }),
    introspection: config.introspection,
    hideSchemaDetailsFromClientErrors: !config.graphql.fieldSuggestions,
    parseOptions: tokenLimit.parseOptions,
    validationRules: [
      documentLengthRule(limits.maxDocumentLength),
      depthLimitRule(limits.maxDepth),
      aliasLimitRule(limits.maxAliases),
      storableLiteralsRule,
    ],
    includeStacktraceInErrorResponses: false,
    // Automatic persisted queries are off: clients send the query text (the response cache and the
    // compiled operations key on it), and a request naming a persisted query is answered with
    // PERSISTED_QUERY_NOT_SUPPORTED rather than an internal error for a hash that does not match.
    persistedQueries: false,
    // main.ts owns shutdown: it closes HTTP, Apollo and the database in order on SIGINT/SIGTERM.
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      // HTTP cache hints are not used, and the plugin would hook into the resolution of every field.
      ApolloServerPluginCacheControlDisabled(),
      // Rewrites parse errors only: a known query has been parsed.
      tokenLimit.plugin,
      ...operationHooks.map(apolloPluginOf),
    ],
  });
  await apollo.start();
  new Gauge({
    name: 'catalogue_graphql_compiled_operations',
    help: 'GraphQL operations kept compiled (GRAPHQL_COMPILE_AFTER_USES).',
    registers: [metrics.registry],
    collect() {
      this.set(execution.compiledOperations());
    },
  });

  const principalOf = authenticateOnce(authenticator);
  const context = async (req: IncomingMessage): Promise<GatewayContext> => {
    let principal;
    try {
      principal = await principalOf(req);
    } catch (error) {
      if (error instanceof UserError) {
        throw new GraphQLError(error.message, {
          extensions: { code: error.code, ...error.details, http: refusalHttp(error) },
        });
      }
      throw error;
    }
    // The request's own view of the database counts its SQL statements (extensions.sqlStatements).
    const statements = { statements: 0 };
    const requestDb = countingDatabase(db, statements);
    const requestContext: GatewayContext = {
      db: requestDb,
      principal,
      loaders: createLoaders(requestDb),
      hooks,
      certificateSigner: certification.signer,
      webhookUrlRules: {
        allowHttp: config.subscriptions.webhookAllowHttp,
        allowedAddresses: config.subscriptions.webhookAllowedAddresses,
      },
      harvester,
      trustedIssuers: config.oidc.issuers,
      organisationRegistration: { bindToOnlyIssuer: config.mode !== 'demo' },
    };
    return attachStatementCount(requestContext, statements);
  };

  const routes = new Map<string, RouteHandler>([
    [
      '/graphql',
      graphqlHandler({
        apollo,
        direct: directExecution({ execution, schema, hooks: operationHooks, registry: metrics.registry }),
        context,
        maxBodyBytes: config.maxBodyBytes,
        ...(responseCache && {
          responseCache: {
            cache: responseCache,
            // Bad credentials are never cached: Apollo answers them with 401 every time.
            visibility: (req) => principalOf(req).then(visibilityOf, () => null),
            exposeSqlStatementCount: config.exposeSqlStatementCount,
            ttlMs: config.graphql.responseCacheTtlSeconds * 1000,
          },
        }),
      }),
    ],
    ['/healthz', (_req, res) => sendJson(res, 200, { status: 'ok' })],
    [
      '/readyz',
      async (_req, res) => {
        try {
          await sql`select 1`.execute(db);
          const pending = await pendingMigrations(db);
          if (pending.length > 0) return sendJson(res, 503, { status: 'migrations pending', pending });
          sendJson(res, 200, { status: 'ready', database: database.dialect });
        } catch (error) {
          sendJson(res, 503, { status: 'database unreachable', error: (error as Error).message });
        }
      },
    ],
    [
      '/metrics',
      async (_req, res) => {
        const text = await metrics.registry.metrics();
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(text);
      },
    ],
  ]);
  for (const module of modules) {
    for (const [path, handler] of Object.entries(module.routes ?? {})) {
      if (routes.has(path)) throw new Error(`route ${path} of module ${module.name} is taken`);
      routes.set(path, handler);
    }
  }

  // Set by close(): answers from then on end their connection, so that keep-alive connections do not
  // hold the shutdown for up to keepAliveTimeout.
  let closing = false;
  const httpServer = createHttpServer(async (req, res) => {
    const started = process.hrtime.bigint();
    if (closing) res.setHeader('connection', 'close');
    const url = requestUrl(req);
    const handler = url && routes.get(url.pathname);
    const route = handler ? url.pathname : 'unmatched';
    res.on('finish', () => {
      metrics.httpRequests.inc({ route, status: String(res.statusCode) });
      metrics.httpDuration.observe({ route }, Number(process.hrtime.bigint() - started) / 1e9);
      // A request that was in flight when the shutdown began: its connection is idle once answered.
      if (closing) setImmediate(() => httpServer.closeIdleConnections());
    });
    if (!url) return sendJson(res, 400, { error: 'the request target is not a URL' });
    try {
      if (!handler)
        return sendJson(res, 404, { error: `nothing at ${url.pathname}; GraphQL is at /graphql` });
      await handler(req, res, url);
    } catch (error) {
      console.error(`${req.method} ${url.pathname} failed:`, error);
      if (!res.headersSent) sendJson(res, 500, { error: 'internal server error' });
      else res.destroy();
    }
  });
  httpServer.keepAliveTimeout = 65_000;

  let started = false;
  return {
    httpServer,
    database,
    config,
    subscriptions,
    harvester,
    responseCache,
    listen: async (port = config.port, host = config.host) => {
      const url = await new Promise<string>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => {
          const address = httpServer.address() as AddressInfo;
          const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
          resolve(`http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${address.port}`);
        });
      });
      for (const module of modules) await module.start?.();
      started = true;
      return url;
    },
    close: async () => {
      closing = true;
      if (started) for (const module of [...modules].reverse()) await module.stop?.();
      if (httpServer.listening) {
        const closed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
        httpServer.closeIdleConnections();
        // Requests still running then are cut off: the process must end inside the orchestrator's
        // grace period (30 s in deploy/kubernetes), after which it would be killed anyway.
        const deadline = setTimeout(() => httpServer.closeAllConnections(), SHUTDOWN_GRACE_MS);
        await closed;
        clearTimeout(deadline);
      }
      await apollo.stop();
      await catalogChanges?.close();
      if (ownsDatabase) await database.close();
    },
  };
}

/**
 * How a refused credential is answered over HTTP. RFC 6750: a refused bearer token gets 401 and a
 * WWW-Authenticate challenge, which tells the client to get a new token. When the token could not be
 * checked because its issuer's metadata or keys could not be fetched, the token is not at fault: 503 with
 * Retry-After, so that clients keep their token and try again.
 */
function refusalHttp(error: UserError): { status: number; headers: HeaderMap } {
  if (error.details?.reason === 'ISSUER_UNAVAILABLE') {
    return {
      status: 503,
      headers: new HeaderMap([['retry-after', String(Math.ceil(DISCOVERY_RETRY_MS / 1000))]]),
    };
  }
  // The description may quote the token's own claims: only the characters RFC 6750 allows pass.
  const description = error.message.replaceAll('"', "'").replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '?');
  const challenge = `Bearer error="invalid_token", error_description="${description}"`;
  return { status: 401, headers: new HeaderMap([['www-authenticate', challenge]]) };
}
