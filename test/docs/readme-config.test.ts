// README.md's configuration table against the code that reads the environment: the same variables,
// the same numeric defaults, and a blank value taken as unset as the table says.
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configFromEnv } from '../../gateway/config.ts';
import { createDatabase } from '../../gateway/database/create-database.ts';
import { readmeConfigTable } from '../../scripts/readme-config-table.ts';

const ROOT = new URL('../../', import.meta.url);
const README = readFileSync(new URL('README.md', ROOT), 'utf8');

const configTable = () => readmeConfigTable(README);

/** Every environment variable the gateway's, certification's and the scripts' code reads. */
function variablesReadByCode(): Set<string> {
  const out = execSync(
    String.raw`grep -rhoE "env(\.|\[')[A-Z][A-Z0-9_]+|(integer|flag)\(env, '[A-Z][A-Z0-9_]+'" --include=*.ts --exclude=*.test.ts gateway certification services scripts`,
    { cwd: ROOT.pathname, encoding: 'utf8' },
  );
  const names = new Set<string>();
  for (const line of out.split('\n')) {
    const m = /([A-Z][A-Z0-9_]+)'?$/.exec(line.trim());
    if (m) names.add(m[1]!);
  }
  return names;
}

describe('README configuration table', () => {
  const table = configTable();

  it('parses the table', () => {
    expect(table.size).toBeGreaterThan(40);
    expect(table.get('PORT')).toBe('`4000`');
  });

  it('every variable in the table is read by the code', () => {
    const read = variablesReadByCode();
    expect([...table.keys()].filter((name) => !read.has(name))).toEqual([]);
  });

  it('every variable the code reads is in the table (DEV_IDP_URL is the token CLI’s, described under "A demo token")', () => {
    const read = variablesReadByCode();
    const documentedElsewhere = new Set(['DEV_IDP_URL']);
    const missing = [...read].filter((name) => !table.has(name) && !documentedElsewhere.has(name));
    expect(missing).toEqual([]);
  });

  it('the numeric defaults in the table are configFromEnv’s', () => {
    const c = configFromEnv({});
    const numeric: Record<string, number> = {
      PORT: c.port,
      DATABASE_POOL_SIZE:
        configFromEnv({ DATABASE_URL: 'postgres://x' }).database.kind === 'postgres'
          ? (configFromEnv({ DATABASE_URL: 'postgres://x' }).database as { poolSize: number }).poolSize
          : NaN,
      GRAPHQL_MAX_DEPTH: c.graphql.limits.maxDepth,
      GRAPHQL_MAX_ALIASES: c.graphql.limits.maxAliases,
      GRAPHQL_MAX_COST: c.graphql.limits.maxCost,
      GRAPHQL_MAX_DOCUMENT_LENGTH: c.graphql.limits.maxDocumentLength,
      GRAPHQL_MAX_DOCUMENT_TOKENS: c.graphql.limits.maxDocumentTokens,
      GRAPHQL_COMPILE_AFTER_USES: c.graphql.compileAfterUses,
      RESPONSE_CACHE_MAX_BYTES: c.graphql.responseCacheMaxBytes,
      RESPONSE_CACHE_TTL_SECONDS: c.graphql.responseCacheTtlSeconds,
      MAX_BODY_BYTES: c.maxBodyBytes,
      SUBSCRIPTION_DELIVERY_INTERVAL_MS: c.subscriptions.deliveryIntervalMs,
      SUBSCRIPTION_WEBHOOK_TIMEOUT_MS: c.subscriptions.webhookTimeoutMs,
      SUBSCRIPTION_RETRY_BASE_MS: c.subscriptions.retryBaseMs,
      SUBSCRIPTION_RETRY_MAX_MS: c.subscriptions.retryMaxMs,
      SUBSCRIPTION_DELIVERY_GIVE_UP_MS: c.subscriptions.giveUpAfterMs,
      SUBSCRIPTION_CERTIFICATION_CHECK_INTERVAL_MS: c.subscriptions.certificationCheckIntervalMs,
      HARVEST_POLL_INTERVAL_MS: c.harvest.pollIntervalMs,
      HARVEST_INTERVAL_SECONDS: c.harvest.defaultIntervalSeconds,
      HARVEST_FULL_SYNC_INTERVAL_SECONDS: c.harvest.fullSyncIntervalSeconds,
      HARVEST_REQUEST_TIMEOUT_MS: c.harvest.requestTimeoutMs,
      HARVEST_MAX_RESPONSE_BYTES: c.harvest.maxResponseBytes,
      HARVEST_MAX_LISTINGS: c.harvest.maxListings,
      HARVEST_RETRIES: c.harvest.retries,
      HARVEST_RETRY_BACKOFF_MS: c.harvest.retryBackoffMs,
      HARVEST_CIRCUIT_FAILURES: c.harvest.circuitFailureThreshold,
      HARVEST_CIRCUIT_PAUSE_SECONDS: c.harvest.circuitPauseSeconds,
      HARVEST_MAX_WITHDRAW_SHARE: c.harvest.maxWithdrawShare,
      HARVEST_LEASE_SECONDS: c.harvest.leaseSeconds,
      HARVEST_CONCURRENCY: c.harvest.concurrency,
    };
    const wrong: string[] = [];
    for (const [name, value] of Object.entries(numeric)) {
      const cell = table.get(name);
      if (cell !== `\`${value}\``) wrong.push(`${name}: README ${cell}, code ${value}`);
    }
    expect(wrong).toEqual([]);
  });

  it('DEV_IDP_PORT: the table says `PORT` + 1, 0 only when PORT is 0', () => {
    expect(table.get('DEV_IDP_PORT')).toContain('`0` when `PORT` is `0`');
    expect(configFromEnv({ PORT: '0' }).devIdentityProviderPort).toBe(0);
    expect(configFromEnv({ PORT: '8000' }).devIdentityProviderPort).toBe(8001);
  });

  // "A variable that is unset, empty or only spaces takes its default."
  describe('a variable set to only spaces takes its default', () => {
    const BLANK = '  ';
    const cases: [string, NodeJS.ProcessEnv][] = [
      ['HOST', {}],
      ['DATA_DIR', {}],
      ['DATABASE_URL', {}],
      ['PGLITE_SHARED_BUFFERS_MB', {}],
      ['OIDC_AUDIENCE', {}],
      ['CERTIFICATE_ISSUER', {}],
      ['CERTIFICATE_SIGNING_KEY_FILE', {}],
      ['HARVEST_CLIENT_ID', {}],
      [
        'HARVEST_TOKEN_ISSUER',
        { OIDC_ISSUER: 'https://idp.example', HARVEST_CLIENT_ID: 'c', HARVEST_CLIENT_SECRET: 's' },
      ],
      [
        'HARVEST_TOKEN_SCOPE',
        { OIDC_ISSUER: 'https://idp.example', HARVEST_CLIENT_ID: 'c', HARVEST_CLIENT_SECRET: 's' },
      ],
      ['OUTBOUND_ALLOWED_ADDRESSES', {}],
      ['OIDC_ROLES_CLAIM', {}],
      ['DEV_IDP_PORT', {}],
    ];
    for (const [name, base] of cases) {
      it(`${name}="${BLANK}" is the same configuration as ${name} unset`, () => {
        const expected = configFromEnv(base);
        let actual: unknown;
        try {
          actual = configFromEnv({ ...base, [name]: BLANK });
        } catch (error) {
          actual = `throws: ${(error as Error).message}`;
        }
        expect(actual).toEqual(expected);
      });
    }
  });

  it('PGLITE_SHARED_BUFFERS_MB="  " starts embedded PostgreSQL (its default 16 MiB), not shared_buffers = 0MB', async () => {
    // A blank value once gave shared_buffers = 0MB, and embedded PostgreSQL did not start.
    const options = configFromEnv({ PGLITE_SHARED_BUFFERS_MB: ' ' }).database;
    // What the gateway then does with it (in memory here, so nothing is written).
    const { dataDir: _ignored, ...inMemory } = options as { dataDir?: string };
    let started: string;
    try {
      const handle = await createDatabase(inMemory as Parameters<typeof createDatabase>[0]);
      await handle.close();
      started = 'started';
    } catch (error) {
      started = `failed: ${(error as Error).message}`;
    }
    expect(started).toBe('started');
  }, 60_000);
});
