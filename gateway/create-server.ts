import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLError } from 'graphql';
import { sql } from 'kysely';
import { anonymousAuthenticator, devHeaderAuthenticator, type Authenticator } from './auth/authenticator.ts';
import { syncReferenceData } from './catalog/sync-reference-data.ts';
import type { GatewayConfig } from './config.ts';
import { createDatabase } from './database/create-database.ts';
import type { DatabaseHandle } from './database/database.ts';
import { migrateToLatest, pendingMigrations } from './database/migrate.ts';
import { formatError, UserError } from './errors.ts';
import { composeCatalogWriteHooks, type GatewayModule, type RouteHandler } from './gateway-module.ts';
import type { GatewayContext } from './graphql/context.ts';
import { createLoaders } from './graphql/loaders.ts';
import { createSchema } from './graphql/schema.ts';
import { sqlStatementCountPlugin } from './graphql/sql-statement-count-plugin.ts';
import { graphqlHandler } from './http/graphql-handler.ts';
import { createMetrics } from './http/metrics.ts';
import { sendJson } from './http/respond.ts';

export interface CreateServerOptions {
  /** An open database to use instead of opening `config.database`; the caller keeps ownership. */
  database?: DatabaseHandle;
  /** Replaces the authenticator the configuration implies. */
  authenticator?: Authenticator;
}

/** The catalogue gateway, built and ready, but not listening. */
export interface CatalogueServer {
  readonly httpServer: Server;
  readonly database: DatabaseHandle;
  readonly config: GatewayConfig;
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
  if (config.seedDemoData) {
    const { seedDemoCatalogue } = await import('../services/demo/seed-demo-catalogue.ts');
    await seedDemoCatalogue(db);
  }

  const authenticator =
    options.authenticator ??
    (config.devPrincipalHeader ? devHeaderAuthenticator() : anonymousAuthenticator());
  // Each component contributes routes, write hooks and background work through a GatewayModule.
  const modules: GatewayModule[] = [];
  const hooks = composeCatalogWriteHooks(modules);
  const metrics = createMetrics();
  const apollo = new ApolloServer<GatewayContext>({
    schema: createSchema(),
    formatError,
    introspection: config.introspection,
    includeStacktraceInErrorResponses: false,
    // main.ts owns shutdown: it closes HTTP, Apollo and the database in order on SIGINT/SIGTERM.
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      sqlStatementCountPlugin({ expose: config.exposeSqlStatementCount, metrics }),
    ],
  });
  await apollo.start();

  const context = async (req: IncomingMessage): Promise<GatewayContext> => {
    let principal;
    try {
      principal = await authenticator.authenticate(req);
    } catch (error) {
      if (error instanceof UserError) {
        throw new GraphQLError(error.message, { extensions: { code: error.code, http: { status: 401 } } });
      }
      throw error;
    }
    return { db, principal, loaders: createLoaders(db), hooks };
  };

  const routes = new Map<string, RouteHandler>([
    ['/graphql', graphqlHandler({ apollo, context, maxBodyBytes: config.maxBodyBytes })],
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

  const httpServer = createHttpServer(async (req, res) => {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const handler = routes.get(url.pathname);
    const route = handler ? url.pathname : 'unmatched';
    res.on('finish', () => {
      metrics.httpRequests.inc({ route, status: String(res.statusCode) });
      metrics.httpDuration.observe({ route }, Number(process.hrtime.bigint() - started) / 1e9);
    });
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
      if (started) for (const module of [...modules].reverse()) await module.stop?.();
      if (httpServer.listening) {
        const closed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
        httpServer.closeIdleConnections();
        await closed;
      }
      await apollo.stop();
      if (ownsDatabase) await database.close();
    },
  };
}
