import { resolve } from 'node:path';
import type { DatabaseOptions } from './database/create-database.ts';

/** Everything the gateway needs to run; built from the environment by `configFromEnv`. */
export interface GatewayConfig {
  /** TCP port. Default 4000; 0 picks a free one. */
  port: number;
  /** Interface to listen on. Default 0.0.0.0. */
  host: string;
  database: DatabaseOptions;
  /** demo: no OIDC_ISSUER, development identity provider and demo data; production: OIDC_ISSUER set. */
  mode: 'demo' | 'production';
  /** Accept the development-only X-Dev-Principal header. Never in production mode. */
  devPrincipalHeader: boolean;
  /** Seed the demo catalogue into an empty database. Never in production mode. */
  seedDemoData: boolean;
  /** Report `extensions.sqlStatements` in GraphQL responses (tests and benchmarks). */
  exposeSqlStatementCount: boolean;
  /** Serve the schema to introspection queries. Default: on in demo mode, off in production. */
  introspection: boolean;
  /** Largest accepted request body in bytes. Default 1 MiB. */
  maxBodyBytes: number;
}

function flag(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new Error(`expected a boolean (true/false), got ${JSON.stringify(value)}`);
}

function integer(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return n;
}

/** Reads the gateway's configuration from environment variables (see the README's table). */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const production = Boolean(env.OIDC_ISSUER);
  const database: DatabaseOptions = env.DATABASE_URL
    ? {
        kind: 'postgres',
        url: env.DATABASE_URL,
        poolSize: integer('DATABASE_POOL_SIZE', env.DATABASE_POOL_SIZE, 10, 1, 200),
      }
    : { kind: 'pglite', dataDir: resolve(env.DATA_DIR || '.data') };
  return {
    port: integer('PORT', env.PORT, 4000, 0, 65535),
    host: env.HOST || '0.0.0.0',
    database,
    mode: production ? 'production' : 'demo',
    devPrincipalHeader: !production,
    seedDemoData: !production && flag(env.DEMO_DATA, true),
    exposeSqlStatementCount: flag(env.EXPOSE_SQL_STATEMENT_COUNT, false),
    introspection: flag(env.GRAPHQL_INTROSPECTION, !production),
    maxBodyBytes: integer('MAX_BODY_BYTES', env.MAX_BODY_BYTES, 1024 * 1024, 1024, 64 * 1024 * 1024),
  };
}
