import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { configFromEnv, type GatewayConfig } from '../../gateway/config.ts';
import { createServer, type CatalogueServer, type CreateServerOptions } from '../../gateway/create-server.ts';
import type { Database } from '../../gateway/database/database.ts';
import { CATALOG_CHANGED_CHANNEL } from '../../gateway/graphql/response-cache/catalog-change-feed.ts';
import { RESPONSE_CACHE_HEADER } from '../../gateway/http/graphql-handler.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: string[]; extensions: { code: string; [key: string]: unknown } }[];
  extensions?: { sqlStatements?: number; [key: string]: unknown };
}

export interface TestServer {
  url: string;
  server: CatalogueServer;
  database: TestDatabase;
  db: Kysely<Database>;
  /** POSTs a GraphQL request; `as` sets the development principal header ("provider@dataport"). */
  graphql<T = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    options?: { as?: string; token?: string; headers?: Record<string, string> },
  ): Promise<GraphQLResponse<T>>;
  close(): Promise<void>;
}

/**
 * The gateway as tests run it: no demo data, SQL statement counts in responses; demo-mode rules from an
 * empty environment, or production mode when `env` sets OIDC_ISSUER (then only bearer tokens count).
 */
export function testConfig(
  overrides: Partial<GatewayConfig> = {},
  env: NodeJS.ProcessEnv = {},
): GatewayConfig {
  const fromEnv = configFromEnv(env);
  return {
    ...fromEnv,
    // Production mode refuses to start without a configured certificate key; tests generate one.
    certificateSigningKey:
      fromEnv.certificateSigningKey.kind === 'missing' ? { kind: 'generate' } : fromEnv.certificateSigningKey,
    port: 0,
    host: '127.0.0.1',
    seedDemoData: false,
    exposeSqlStatementCount: true,
    // Every operation compiled from its first execution, so that the whole suite checks compiled
    // execution (compiled-execution.test.ts compares it with graphql-js).
    graphql: {
      ...fromEnv.graphql,
      compileAfterUses: env.GRAPHQL_COMPILE_AFTER_USES ? fromEnv.graphql.compileAfterUses : 1,
    },
    ...overrides,
  };
}

/** Starts the real gateway on port 0 over a database of its own. */
export async function startTestServer(
  options: { config?: Partial<GatewayConfig>; env?: NodeJS.ProcessEnv; database?: TestDatabase } & Omit<
    CreateServerOptions,
    'database'
  > = {},
): Promise<TestServer> {
  const database = options.database ?? (await createTestDatabase());
  const server = await createServer(testConfig(options.config, options.env), { ...options, database });
  const url = await server.listen(0, '127.0.0.1');
  return {
    url,
    server,
    database,
    db: database.db,
    graphql: async (query, variables, requestOptions = {}) => {
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        ...requestOptions.headers,
      };
      if (requestOptions.as) headers['x-dev-principal'] = requestOptions.as;
      if (requestOptions.token) headers.authorization = `Bearer ${requestOptions.token}`;
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as Omit<GraphQLResponse, 'status'>;
      return { status: response.status, ...body } as GraphQLResponse<any>;
    },
    close: async () => {
      await server.close();
      if (!options.database) await database.close();
    },
  };
}

/** The gateway's /metrics as numbers, by series (`name` or `name{label="value",…}` as exposed). */
export async function scrapeMetrics(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (match) values.set(match[1]!, Number(match[2]));
  }
  return values;
}

/**
 * Announces a change to `table` on the catalogue's change channel, as the table's trigger would, and
 * waits until the gateway has acted on this very announcement. The database delivers notifications
 * in commit order, so every change committed before is heard by then too: a test that writes past
 * the gateway (SQL, a background job driven directly), or that stores an answer right after a write
 * whose notification may still be on its way, calls this before it reads through the gateway, whose
 * response cache drops what changed only when it hears of it. Returns at once when the cache is off.
 *
 * The announcement carries a marker of its own in place of the table's name, recognised by a wrapper
 * around the cache's `invalidateTable` for as long as this waits, and acted on as a change to `table`.
 * Counting the cache's invalidations instead would return early when an earlier notification, still
 * on its way when this started, arrives first.
 */
export async function changesHeard(t: TestServer, table = 'service'): Promise<void> {
  const cache = t.server.responseCache;
  if (!cache?.enabled) return;
  const marker = `${table} (heard ${randomUUID()})`;
  const invalidateTable = cache.invalidateTable;
  let timer: NodeJS.Timeout | undefined;
  const heard = new Promise<void>((resolve, reject) => {
    cache.invalidateTable = (name: string) => {
      if (name !== marker) return invalidateTable.call(cache, name);
      resolve();
      return invalidateTable.call(cache, table);
    };
    timer = setTimeout(
      () => reject(new Error(`the gateway did not hear the change of ${table} within 10 s`)),
      10_000,
    );
  });
  try {
    await sql`select pg_notify(${CATALOG_CHANGED_CHANNEL}, ${marker})`.execute(t.db);
    await heard;
  } finally {
    clearTimeout(timer);
    delete (cache as { invalidateTable?: unknown }).invalidateTable; // the class's own method again
  }
}

/** A JSON POST's answer and what the response cache did with it: `hit`, `miss`, or null (not looked up). */
export interface CachedAnswer {
  cache: string | null;
  body: any;
}

/** Sends a query as a portal would (JSON POST, optionally with the development header), reporting the cache. */
export async function askCached(
  server: TestServer,
  query: string,
  variables: Record<string, unknown> = {},
  as?: string,
): Promise<CachedAnswer> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(as ? { 'x-dev-principal': as } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { cache: response.headers.get(RESPONSE_CACHE_HEADER), body: await response.json() };
}
