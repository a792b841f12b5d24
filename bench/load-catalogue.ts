// Loads the benchmark catalogue through the bulk path providers use: harvesting. Each provider keeps
// its listings as a folder of listing files served by its own provider node (services/provider-node,
// real HTTP on 127.0.0.1; see provider-nodes.ts), registered as the provider's harvest endpoint; the
// gateway's harvester (gateway/harvest/harvester.ts) then runs as its scheduler runs it: `harvestDue`
// claims the due endpoints `concurrency` at a time (HARVEST_CONCURRENCY), reads each endpoint page by
// page, validates every document, publishes through publishListings in batches of 200 with the
// gateway's write hooks (subscriptions, audit chain) and records each run.
//
// Timing: writing the folders, starting the nodes and registering the endpoints come first, untimed.
// The clock runs from the harvester's first request (the `harvestDue` call: its claims, then the
// endpoints' first pages) to the end of the last run (its report stored). `vacuum analyze`, for the
// read scenarios, comes after and is timed on its own (analyzeSeconds).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { sql, type Kysely } from 'kysely';
import type { Listing } from '../catalog-schema/generated/listing.ts';
import { upsertOrganisation } from '../gateway/catalog/organisations.ts';
import type { CatalogWriteHooks } from '../gateway/catalog/publish-listing.ts';
import { configFromEnv } from '../gateway/config.ts';
import type { Database } from '../gateway/database/database.ts';
import { harvestConfigFromEnv } from '../gateway/harvest/harvest-config.ts';
import { createHarvester } from '../gateway/harvest/harvester.ts';
import { registerEndpoint } from '../gateway/harvest/store/harvest-endpoints.ts';
import { startFlags } from '../gateway/heap-tuning.ts';
import type { HarvestRunRow } from '../gateway/harvest/store/harvest-tables.ts';
import { benchListings, benchProviders } from './catalogue-data.ts';
import { startProviderNodes, writeProviderFolders, type RunningProviderNodes } from './provider-nodes.ts';

export interface LoadResult {
  /** How the listings were loaded: harvested from provider nodes over HTTP. */
  path: 'harvest';
  listings: number;
  providers: number;
  /** How many providers were harvested at the same time (the harvester's concurrency). */
  concurrency: number;
  /** From the first harvest request to the end of the last run. */
  seconds: number;
  listingsPerSecond: number;
  /** Harvest runs, one per provider, all SUCCEEDED. */
  runs: number;
  /** Pages the harvester read from the provider nodes (GraphQL requests answered with listings). */
  requests: number;
  /** Write transactions of the catalogue (publishListings batches). */
  batches: number;
  /** Writing the listing files, starting the nodes, registering the endpoints (untimed above). */
  setupSeconds: number;
  /** The `vacuum analyze` after the load (for the read scenarios), not part of `seconds`. */
  analyzeSeconds: number;
  /**
   * How the loading process was started, when it was started as the gateway starts
   * (loadCatalogueAsGateway): its Node.js flags and the heap growing factor it set; empty for both
   * means Node.js's defaults.
   */
  process?: { nodeFlags: string[]; heapGrowing: string | null };
}

export interface LoadOptions {
  /** The gateway's write hooks (gateway/write-modules.ts). */
  hooks: CatalogWriteHooks;
  /** Endpoints harvested at the same time (the harvester's HARVEST_CONCURRENCY). */
  concurrency: number;
  /** Called after each write transaction with the listings written so far. */
  progress?: (done: number) => void;
  /**
   * Child processes hosting the provider nodes (see provider-nodes.ts). Default: one per endpoint
   * harvested at a time, but no more than the cores the benchmark's process leaves free.
   */
  nodeProcesses?: number;
}

/**
 * The provider node reads a file again on every request until it has read it at least this long
 * after its last change (RACY_MS in services/provider-node/listing-folder.ts). A provider's files
 * are older than that when a harvester comes: the nodes start once they are, and read their folders
 * once before they report ready (their `endpoint` query), as a node that has served before.
 */
const FILES_SETTLED_MS = 2000 + 100;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Checks that every run harvested its provider's listings, all of them new; else throws. */
function checkRuns(runs: readonly HarvestRunRow[], expected: ReadonlyMap<string, number>): void {
  const problems: string[] = [];
  const seen = new Set<string>();
  // In provider order, not in the order the runs ended: the same failure reads the same every time.
  const byProvider = [...runs].sort((a, b) =>
    a.provider_id < b.provider_id ? -1 : a.provider_id > b.provider_id ? 1 : 0,
  );
  for (const run of byProvider) {
    seen.add(run.provider_id);
    const count = expected.get(run.provider_id);
    if (count === undefined) {
      problems.push(`${run.provider_id}: harvested, but is not a benchmark provider (run ${run.id})`);
      continue;
    }
    if (
      run.status !== 'SUCCEEDED' ||
      run.fetched !== count ||
      run.created !== count ||
      run.updated !== 0 ||
      run.unchanged !== 0 ||
      run.withdrawn !== 0 ||
      run.rejected !== 0
    ) {
      problems.push(
        `${run.provider_id}: run ${run.id} ${run.status}${run.error ? ` (${run.error_code}: ${run.error})` : ''}, ` +
          `fetched ${run.fetched}, created ${run.created} of ${count}, updated ${run.updated}, ` +
          `unchanged ${run.unchanged}, withdrawn ${run.withdrawn}, rejected ${run.rejected}` +
          (run.rejected ? `: ${JSON.stringify(run.rejections).slice(0, 1000)}` : ''),
      );
    }
  }
  for (const providerId of expected.keys()) {
    if (!seen.has(providerId)) problems.push(`${providerId}: not harvested`);
  }
  if (runs.length !== seen.size) problems.push(`${runs.length} runs for ${seen.size} providers`);
  if (problems.length > 0) {
    throw new Error(`the harvest load failed:\n  ${problems.slice(0, 20).join('\n  ')}`);
  }
}

/**
 * Generates `count` listings of `providerCount` providers, serves each provider's from its own
 * provider node and harvests them all with the gateway's harvester; times the harvest.
 */
export async function loadCatalogue(
  db: Kysely<Database>,
  count: number,
  providerCount: number,
  options: LoadOptions,
): Promise<LoadResult> {
  const setupStarted = performance.now();
  const providers = benchProviders(providerCount);
  // Every provider runs a node, also one without listings (fewer listings than providers).
  const byProvider = new Map<string, Listing[]>(providers.map((p) => [p.id, []]));
  for (const item of benchListings(count, providers)) byProvider.get(item.providerId)!.push(item.listing);
  const expected = new Map([...byProvider].map(([providerId, own]) => [providerId, own.length]));
  const concurrency = Math.max(1, options.concurrency);
  // The gateway's harvest settings in demo mode (plain http, loopback allowed: where these nodes
  // are), with the benchmark's concurrency, and room for a provider with more listings than the
  // default limit when the benchmark is run with few providers.
  const defaults = harvestConfigFromEnv({}, false);
  const config = {
    ...defaults,
    pollIntervalMs: 0,
    concurrency,
    maxListings: Math.max(defaults.maxListings, ...expected.values()),
  };

  const scratch = mkdtempSync(join(tmpdir(), 'vc-bench-provider-nodes-'));
  let nodes: RunningProviderNodes | undefined;
  let harvester: ReturnType<typeof createHarvester> | undefined;
  try {
    const { folders, lastWriteMs } = writeProviderFolders(scratch, byProvider);
    await pause(Math.max(0, lastWriteMs + FILES_SETTLED_MS - Date.now()));
    nodes = await startProviderNodes(
      folders,
      options.nodeProcesses ?? Math.max(1, Math.min(concurrency, availableParallelism() - 1)),
    );

    // Harvesting takes every due endpoint: there must be none but the benchmark's.
    const others = await db
      .selectFrom('harvest_endpoint')
      .select('provider_id')
      .where('enabled', '=', true)
      .where('provider_id', 'not in', [...expected.keys()])
      .execute();
    if (others.length > 0) {
      throw new Error(
        `the database has other harvest endpoints (${others.map((o) => o.provider_id).join(', ')}); the load harvests into a database without them`,
      );
    }
    let dueAt = 0;
    for (const provider of providers) {
      // A provider is an organisation of the catalogue before it registers its endpoint.
      await upsertOrganisation(db, provider);
      const url = nodes.nodes.find((n) => n.providerId === provider.id)!.url;
      const endpoint = await registerEndpoint(db, {
        providerId: provider.id,
        url,
        requiresToken: false,
        intervalSeconds: config.defaultIntervalSeconds,
        fullSyncIntervalSeconds: config.fullSyncIntervalSeconds,
        registeredBy: 'bench',
      });
      dueAt = Math.max(dueAt, endpoint.next_run_at.getTime());
    }

    // The gateway's write hooks, unchanged: the wrapper only counts the transactions they close.
    let written = 0;
    let batches = 0;
    const hooks: CatalogWriteHooks = {
      ...options.hooks,
      afterWrites: async (trx, events) => {
        await options.hooks.afterWrites?.(trx, events);
        batches++;
        written += events.length;
        options.progress?.(written);
      },
    };
    harvester = createHarvester({ db, hooks, config, owner: `bench:${process.pid}` });
    const setupSeconds = (performance.now() - setupStarted) / 1000;

    // The scheduler's clock: every endpoint registered above is due (next_run_at is the database's
    // clock, to the microsecond; a millisecond later covers it).
    const now = new Date(Math.max(Date.now(), dueAt + 1));
    const started = performance.now();
    const runs = await harvester.harvestDue(now);
    const seconds = (performance.now() - started) / 1000;

    checkRuns(runs, expected);
    const served = await nodes.close();
    nodes = undefined;
    const { active } = await db
      .selectFrom('service')
      .select(({ fn }) => fn.countAll<string>().as('active'))
      .where('provider_id', 'in', [...expected.keys()])
      .where('status', '=', 'ACTIVE')
      .executeTakeFirstOrThrow();
    if (Number(active) !== count) {
      throw new Error(`the harvest load left ${active} active listings of ${count}`);
    }

    // Fresh statistics, as autovacuum would gather them shortly after a bulk load in production.
    const analyzeStarted = performance.now();
    await sql`vacuum analyze`.execute(db);
    const analyzeSeconds = (performance.now() - analyzeStarted) / 1000;
    return {
      path: 'harvest',
      listings: count,
      providers: providerCount,
      // At most one run per provider runs at a time, however many the harvester may run.
      concurrency: Math.min(concurrency, providerCount),
      seconds,
      listingsPerSecond: count / seconds,
      runs: runs.length,
      requests: Object.values(served).reduce((sum, s) => sum + s.pages, 0),
      batches,
      setupSeconds,
      analyzeSeconds,
    };
  } finally {
    await harvester?.stop();
    await nodes?.close().catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** What bench/load-process.ts takes: the load of loadCatalogue, in a process of its own. */
export interface LoadProcessArguments {
  listings: number;
  providers: number;
  concurrency: number;
  /** The certificate key of the measured gateways (production mode needs one; the hooks sign with it). */
  signingKeyFile: string;
  /** A progress line every this many listings. */
  progressEvery: number;
}

/**
 * Runs loadCatalogue in a child process started as the gateway starts (scripts/start-gateway.sh's
 * Node.js flags from the gateway's configuration, and the heap growing factor the gateway sets), on
 * the database `databaseEnv` names (DATABASE_URL or DATA_DIR; migrated, with the reference data, and
 * not open in this process: an embedded data directory belongs to one process). The benchmark's own
 * process keeps Node.js's defaults for its load generator; with embedded PostgreSQL the gateway's
 * settings differ from them, and loading with them took 2 to 9 % longer (bench/README.md).
 */
export async function loadCatalogueAsGateway(
  databaseEnv: Record<string, string>,
  args: LoadProcessArguments,
  onProgress: (done: number) => void,
): Promise<LoadResult> {
  const env = { ...process.env, ...databaseEnv, NODE_ENV: 'production' };
  const flags = startFlags(configFromEnv(env));
  const child = spawn(
    process.execPath,
    [
      ...flags,
      '--import',
      'tsx',
      fileURLToPath(new URL('load-process.ts', import.meta.url)),
      JSON.stringify(args),
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let result: LoadResult | undefined;
  let errorOutput = '';
  child.stderr.on('data', (chunk: Buffer) => {
    process.stderr.write(chunk);
    errorOutput = (errorOutput + chunk.toString('utf8')).slice(-20_000);
  });
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    if (line.startsWith('progress ')) onProgress(Number(line.slice('progress '.length)));
    else if (line.startsWith('result ')) result = JSON.parse(line.slice('result '.length)) as LoadResult;
    else console.log(line);
  });
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0 || !result) {
    throw new Error(
      `the load process ended with ${code}${result ? '' : ' without a result'}:\n${errorOutput}`,
    );
  }
  return result;
}
