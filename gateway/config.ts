import { resolve } from 'node:path';
import type { SigningKeySource } from '../certification/signing-keys.ts';
import type { DatabaseOptions } from './database/create-database.ts';
import { parseAddressRanges } from './http/address-policy.ts';
import { booleanSetting, integerSetting, textSetting, unset } from './env-settings.ts';
import { graphqlConfigFromEnv, type GraphQLConfig } from './graphql/graphql-config.ts';
import { checkIssuerUrl } from './auth/issuer-url.ts';
import { harvestConfigFromEnv, type HarvestConfig } from './harvest/harvest-config.ts';
import {
  subscriptionsConfigFromEnv,
  type SubscriptionsConfig,
} from './subscriptions/subscriptions-config.ts';

/** Everything the gateway needs to run; built from the environment by `configFromEnv`. */
export interface GatewayConfig {
  /** TCP port. Default 4000; 0 picks a free one. */
  port: number;
  /** Interface to listen on. Default 0.0.0.0. */
  host: string;
  database: DatabaseOptions;
  /** demo: no OIDC_ISSUER, development identity provider and demo data; production: OIDC_ISSUER set. */
  mode: 'demo' | 'production';
  /**
   * V8's heap growing factor in percent over the live heap (heap-tuning.ts); 0 keeps V8's own.
   * Default 20 with embedded PostgreSQL, 0 with a PostgreSQL server.
   */
  heapGrowingPercent: number;
  /**
   * V8's young generation: the largest semi-space in MiB, a Node.js start flag that
   * scripts/start-gateway.sh passes (heap-tuning.ts); 0 keeps V8's own (16 MiB). Default 8 with
   * embedded PostgreSQL, 0 with a PostgreSQL server.
   */
  heapSemiSpaceMb: number;
  /**
   * V8's baseline compiler for WebAssembly (Liftoff), a Node.js start flag that
   * scripts/start-gateway.sh passes (heap-tuning.ts). Off, embedded PostgreSQL's functions are
   * compiled once, by the optimizing compiler. Default off with embedded
   * PostgreSQL, on (V8's own) with a PostgreSQL server, where no WebAssembly runs.
   */
  wasmLiftoff: boolean;
  /** Accept the development-only X-Dev-Principal header. Never in production mode. */
  devPrincipalHeader: boolean;
  /** Seed the demo catalogue into an empty database. Never in production mode. */
  seedDemoData: boolean;
  /** Report `extensions.sqlStatements` in GraphQL responses (tests and benchmarks). */
  exposeSqlStatementCount: boolean;
  /** Serve the schema to introspection queries. Default: on in demo mode, off in production. */
  introspection: boolean;
  /** Field suggestions, query limits and the response cache (gateway/graphql/graphql-config.ts). */
  graphql: GraphQLConfig;
  /** Largest accepted request body in bytes. Default 1 MiB. */
  maxBodyBytes: number;
  /**
   * The certificate signing key: CERTIFICATE_SIGNING_KEY_FILE when set; else generated and stored in
   * the database in demo mode, and `missing` (the gateway refuses to start) in production.
   */
  certificateSigningKey: SigningKeySource;
  /** The `iss` of certificates (CERTIFICATE_ISSUER). Default `urn:de:verwaltungscloud:koordinierungsstelle`. */
  certificateIssuer: string;
  /** Bearer token verification (the gateway is an OAuth 2.0 resource server). */
  oidc: OidcConfig;
  /** Demo mode only: port of the development identity provider on loopback. Default PORT + 1 (0 when PORT is 0). */
  devIdentityProviderPort: number;
  /** Subscription notifications: delivery worker, retries, webhook rules (gateway/subscriptions/). */
  subscriptions: SubscriptionsConfig;
  /** Federation: harvesting provider endpoints (gateway/harvest/). */
  harvest: HarvestConfig;
}

/** How bearer access tokens are verified; see gateway/auth/oidc-authenticator.ts. */
export interface OidcConfig {
  /**
   * Trusted issuers (OIDC_ISSUER, comma- or space-separated). Empty in demo mode until main.ts starts
   * the development identity provider; without issuers every bearer token is refused.
   */
  issuers: string[];
  /** The value `aud` must contain (OIDC_AUDIENCE). Default `verwaltungscloud-catalogue`. */
  audience: string;
  /** Dotted path of the claim holding the roles (OIDC_ROLES_CLAIM). Default `roles`. */
  rolesClaim: string;
  /** Dotted path of the claim holding the organisation id (OIDC_ORG_CLAIM). Default `org`. */
  organisationClaim: string;
  /** Clock skew allowed for `exp` and `nbf`, in seconds. Default 30. */
  clockToleranceSeconds: number;
  /** Longest accepted token in bytes; longer ones are refused before parsing. Default 8192. */
  maxTokenBytes: number;
  /** After a key set fetch, how long a token with an unknown `kid` waits before another fetch, in ms. Default 30000. */
  jwksCooldownMs: number;
  /** How long fetched keys are trusted before the key set is fetched again, in ms. Default 600000. */
  jwksCacheMaxAgeMs: number;
  /** Timeout of each discovery or key set request, in ms. Default 5000. */
  httpTimeoutMs: number;
  /**
   * Address ranges discovery and key set requests may reach although they are private, for an identity
   * provider inside the cluster (OUTBOUND_ALLOWED_ADDRESSES). Loopback issuers are always reachable.
   */
  allowedAddresses: string[];
}

/** Splits OIDC_ISSUER into issuer URLs (each checked by checkIssuerUrl). Set, it must name one. */
export function parseIssuers(value: string | undefined): string[] {
  const issuers = (value ?? '').split(/[\s,]+/).filter((part) => part !== '');
  // Only an unset OIDC_ISSUER means demo mode, where the development header signs anyone in. Set to
  // nothing (a template or secret that rendered empty), it must not open the gateway that way.
  if (value !== undefined && issuers.length === 0) {
    throw new Error(
      `OIDC_ISSUER is set but names no issuer (${JSON.stringify(value)}); set the trusted issuer(s), or leave it unset for demo mode`,
    );
  }
  for (const issuer of issuers) checkIssuerUrl('OIDC_ISSUER', issuer);
  return [...new Set(issuers)];
}

function outboundAllowedAddresses(value: string | undefined): string[] {
  try {
    return parseAddressRanges(value ?? '');
  } catch (error) {
    throw new Error(`OUTBOUND_ALLOWED_ADDRESSES: ${(error as Error).message}`);
  }
}

function claimPath(name: string, value: string | undefined, fallback: string): string {
  if (unset(value)) return fallback;
  if (!/^[^.\s]+(\.[^.\s]+)*$/.test(value))
    throw new Error(
      `${name} must be a claim name or a dotted path such as realm_access.roles, got ${JSON.stringify(value)}`,
    );
  return value;
}

/** Reads the gateway's configuration from environment variables (see the README's table). */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const issuers = parseIssuers(env.OIDC_ISSUER);
  const production = issuers.length > 0;
  const port = integerSetting('PORT', env.PORT, 4000, 0, 65535);
  const databaseUrl = textSetting(env.DATABASE_URL);
  const database: DatabaseOptions = databaseUrl
    ? {
        kind: 'postgres',
        url: databaseUrl,
        poolSize: integerSetting('DATABASE_POOL_SIZE', env.DATABASE_POOL_SIZE, 10, 1, 200),
        prepareStatements: booleanSetting(
          'DATABASE_PREPARE_STATEMENTS',
          env.DATABASE_PREPARE_STATEMENTS,
          true,
        ),
      }
    : {
        kind: 'pglite',
        dataDir: resolve(textSetting(env.DATA_DIR) ?? '.data'),
        // Unset: create-database.ts's default.
        sharedBuffersMb: unset(env.PGLITE_SHARED_BUFFERS_MB)
          ? undefined
          : integerSetting('PGLITE_SHARED_BUFFERS_MB', env.PGLITE_SHARED_BUFFERS_MB, 0, 1, 8192),
      };
  return {
    port,
    host: textSetting(env.HOST) ?? '0.0.0.0',
    database,
    mode: production ? 'production' : 'demo',
    heapGrowingPercent: integerSetting(
      'HEAP_GROWING_PERCENT',
      env.HEAP_GROWING_PERCENT,
      database.kind === 'pglite' ? 20 : 0,
      0,
      1000,
    ),
    heapSemiSpaceMb: integerSetting(
      'HEAP_SEMI_SPACE_MB',
      env.HEAP_SEMI_SPACE_MB,
      database.kind === 'pglite' ? 8 : 0,
      0,
      1024,
    ),
    wasmLiftoff: booleanSetting('WASM_LIFTOFF', env.WASM_LIFTOFF, database.kind !== 'pglite'),
    devPrincipalHeader: !production,
    seedDemoData: !production && booleanSetting('DEMO_DATA', env.DEMO_DATA, true),
    exposeSqlStatementCount: booleanSetting(
      'EXPOSE_SQL_STATEMENT_COUNT',
      env.EXPOSE_SQL_STATEMENT_COUNT,
      false,
    ),
    introspection: booleanSetting('GRAPHQL_INTROSPECTION', env.GRAPHQL_INTROSPECTION, !production),
    graphql: graphqlConfigFromEnv(env, production),
    maxBodyBytes: integerSetting('MAX_BODY_BYTES', env.MAX_BODY_BYTES, 1024 * 1024, 1024, 64 * 1024 * 1024),
    certificateSigningKey: textSetting(env.CERTIFICATE_SIGNING_KEY_FILE)
      ? { kind: 'file', path: resolve(textSetting(env.CERTIFICATE_SIGNING_KEY_FILE)!) }
      : production
        ? { kind: 'missing' }
        : { kind: 'generate' },
    certificateIssuer: textSetting(env.CERTIFICATE_ISSUER) ?? 'urn:de:verwaltungscloud:koordinierungsstelle',
    oidc: {
      issuers,
      audience: textSetting(env.OIDC_AUDIENCE) ?? 'verwaltungscloud-catalogue',
      rolesClaim: claimPath('OIDC_ROLES_CLAIM', env.OIDC_ROLES_CLAIM, 'roles'),
      organisationClaim: claimPath('OIDC_ORG_CLAIM', env.OIDC_ORG_CLAIM, 'org'),
      clockToleranceSeconds: 30,
      maxTokenBytes: 8192,
      jwksCooldownMs: 30_000,
      jwksCacheMaxAgeMs: 600_000,
      httpTimeoutMs: 5000,
      allowedAddresses: outboundAllowedAddresses(env.OUTBOUND_ALLOWED_ADDRESSES),
    },
    devIdentityProviderPort: integerSetting(
      'DEV_IDP_PORT',
      env.DEV_IDP_PORT,
      port === 0 || port === 65535 ? 0 : port + 1,
      0,
      65535,
    ),
    subscriptions: subscriptionsConfigFromEnv(env, production),
    harvest: harvestConfigFromEnv(env, production, issuers),
  };
}
