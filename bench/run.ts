// npm run bench: loads 50,000 listings into a fresh database (embedded PostgreSQL, or a throwaway
// database on the PostgreSQL server DATABASE_URL names), then measures the gateway and its two
// baselines under the same load and writes the report to bench/results/. See bench/README.md.
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFromEnv } from '../gateway/config.ts';
import { createDatabase } from '../gateway/database/create-database.ts';
import { createSchema } from '../gateway/graphql/schema.ts';
import { wasmCompilerFlags } from '../gateway/heap-tuning.ts';
import type { IdentityProvider } from '../services/identity-provider/identity-provider.ts';
import { createBenchDatabase, prepareBenchDatabase } from './bench-database.ts';
import { captureStatements } from './capture.ts';
import { combine, driveLoad, type LoadStats } from './drive-load.ts';
import { driveChains } from './drive-sequence.ts';
import { loadCatalogueAsGateway } from './load-catalogue.ts';
import { gatewayVariables, settingsFromEnvironment, startLine } from './gateway-settings.ts';
import { freePort, postgresCpuSeconds, startServerProcess, type ServerProcess } from './processes.ts';
import {
  cpuPerRequest,
  machine,
  markdown,
  TARGETS,
  writeReport,
  type BenchReport,
  type Measurement,
  type ScenarioResult,
} from './report.ts';
import {
  DETAIL_CERTIFIED_EVERY,
  DETAIL_SERVICES,
  detailIds,
  scenarioNames,
  scenarios as benchScenarios,
  selectScenarios,
  type BaselineKind,
  type Scenario,
} from './scenarios.ts';
import { signIn, startBenchIdentityProvider, writeSigningKey } from './sign-in.ts';
import { certifyServices, prepareSubscribers } from './subscription-setup.ts';

function setting(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`${name} must be a whole number, got ${JSON.stringify(value)}`);
  return n;
}

const options = {
  listings: setting('BENCH_LISTINGS', 50_000),
  providers: setting('BENCH_PROVIDERS', 50),
  connections: setting('BENCH_CONNECTIONS', 50),
  rounds: Math.max(1, setting('BENCH_ROUNDS', 3)),
  roundSeconds: Math.max(1, setting('BENCH_ROUND_SECONDS', 10)),
  warmupSeconds: setting('BENCH_WARMUP_SECONDS', 5),
  loadConcurrency: Math.max(1, setting('BENCH_LOAD_CONCURRENCY', 4)),
  /** Names of the scenarios to measure (BENCH_SCENARIOS, comma-separated); empty: all of them. */
  scenarios: scenarioNames(process.env.BENCH_SCENARIOS),
};
/** The gateway starts as the container image starts it (deploy/Dockerfile): through its start script. */
const GATEWAY_START = ['sh', 'scripts/start-gateway.sh', 'dist/gateway/main.js'] as const;
const log = (message: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * SQL statements sent, and GraphQL requests the gateway took on, from its /metrics: every executed
 * operation is observed with its statement count, and a response-cache hit sends none. Requests that
 * the load generator abandoned at the end of a round still ran their statements; counting answered
 * HTTP requests instead would leave them out and raise the statements per request (4.06 for 4).
 */
async function counters(server: ServerProcess): Promise<{ statements: number; requests: number }> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  let statements = 0;
  let requests = 0;
  for (const line of text.split('\n')) {
    const value = Number(line.split(' ').at(-1));
    if (line.startsWith('catalogue_graphql_sql_statements_sum')) statements += value;
    if (line.startsWith('catalogue_graphql_sql_statements_count')) requests += value;
    if (line.startsWith('catalogue_response_cache_lookups_total{result="hit"')) requests += value;
  }
  return { statements, requests };
}

/**
 * The gateway's requests per second over the baseline's; against baseline (b), the lower of that and
 * the CPU ratio (the baseline's CPU ms per request over the gateway's) is the one judged. A fixed body
 * costs its server so little that the load generator, one thread on the same shared cores, limits
 * both servers' requests per second long before either server does (the committed runs: about 11,000
 * to 13,500 per second with the load generator using a whole core; with less CPU left to it, it
 * limited them below that), and their throughput ratio then says nothing about the gateway. Against
 * baseline (a) the throughput ratio is judged: there the database does most of the work, and the
 * servers' own CPU ratio leaves it out.
 */
function ratios(
  gateway: Measurement,
  baseline: Measurement | null,
  kind: BaselineKind,
): Pick<ScenarioResult, 'ratio' | 'throughputRatio' | 'cpuRatio'> {
  if (!baseline) return { ratio: null, throughputRatio: null, cpuRatio: null };
  const throughputRatio = gateway.stats.requestsPerSecond / baseline.stats.requestsPerSecond;
  const cpuRatio = baseline.cpuMsPerRequest / Math.max(1e-9, gateway.cpuMsPerRequest);
  return {
    ratio: kind === 'static' ? Math.min(throughputRatio, cpuRatio) : throughputRatio,
    throughputRatio,
    cpuRatio,
  };
}

/**
 * Waits until a server has finished the requests a round left behind: when a round ends, the load
 * generator drops up to one request per connection, which the server still answers. Without the
 * wait, that work ran in the next round, often the other server's, and was charged to it. Done when
 * the server and every PostgreSQL process on this machine (a local server) have used no CPU in two
 * windows of 100 ms in a row (/proc counts in ticks of 10 ms), or after 15 s, which is logged.
 */
async function settle(server: ServerProcess, databaseCpuSeconds: () => number | null): Promise<void> {
  const deadline = Date.now() + 15_000;
  let own = server.cpuSeconds();
  let database = databaseCpuSeconds();
  let quiet = 0;
  while (Date.now() < deadline) {
    await pause(100);
    const nowOwn = server.cpuSeconds();
    const nowDatabase = databaseCpuSeconds();
    const busy = nowOwn - own + (nowDatabase !== null && database !== null ? nowDatabase - database : 0);
    quiet = busy < 0.005 ? quiet + 1 : 0;
    if (quiet >= 2) return;
    own = nowOwn;
    database = nowDatabase;
  }
  log(`  ${server.name} was still busy 15 s after its round (or the PostgreSQL server was); going on`);
}

/**
 * Measures one scenario on the gateway and on its baseline in alternating rounds, so that a change
 * in the machine's load (it is shared) affects both alike, and samples both processes' memory.
 */
async function measureScenario(
  scenario: Scenario,
  gateway: ServerProcess,
  baseline: ServerProcess | null,
  usesLocalPostgres: boolean,
): Promise<{ gateway: Measurement; baseline: Measurement | null }> {
  const drive = (server: ServerProcess, seconds: number) =>
    scenario.chains
      ? driveChains(server.url, scenario.chains, seconds)
      : driveLoad(server.url, scenario.requests, options.connections, seconds);
  const measured = baseline ? [baseline, gateway] : [gateway];
  // CPU seconds of the server process and of a local PostgreSQL server during the server's rounds;
  // PGlite runs inside the measured process, and a server elsewhere cannot be read from /proc.
  const databaseCpuSeconds = usesLocalPostgres ? postgresCpuSeconds : () => null;
  // The peak counts from here, warm-up included: the kernel's high-water mark of each process, reset
  // now, catches what sampling every 100 ms from this busy process can miss.
  const peakTracked = new Map(measured.map((server) => [server, server.resetPeakRss()]));
  for (const [server, tracked] of peakTracked) {
    if (!tracked)
      log(`  ${server.name}: its high-water mark cannot be reset; peak RSS from samples every 100 ms`);
  }
  const peak = new Map<ServerProcess, number>(measured.map((server) => [server, server.rss()]));
  for (const server of measured) {
    if (options.warmupSeconds > 0) await drive(server, options.warmupSeconds);
    await settle(server, databaseCpuSeconds);
  }
  await pause(500);
  const before = await counters(gateway);
  const rounds = new Map<ServerProcess, LoadStats[]>(measured.map((server) => [server, []]));
  const cpu = new Map(
    measured.map((server) => [server, { own: 0, database: 0 as number | null, client: 0 }]),
  );
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? measured : [...measured].reverse();
    for (const server of order) {
      const sampler = setInterval(() => peak.set(server, Math.max(peak.get(server)!, server.rss())), 100);
      const ownBefore = server.cpuSeconds();
      const databaseBefore = databaseCpuSeconds();
      const clientBefore = process.cpuUsage();
      try {
        rounds.get(server)!.push(await drive(server, options.roundSeconds));
      } finally {
        clearInterval(sampler);
      }
      const client = process.cpuUsage(clientBefore);
      // The server's CPU time counts until it has answered what the round left behind.
      await settle(server, databaseCpuSeconds);
      const used = cpu.get(server)!;
      used.client += (client.user + client.system) / 1e6;
      used.own += server.cpuSeconds() - ownBefore;
      const databaseAfter = databaseCpuSeconds();
      used.database =
        used.database === null || databaseBefore === null || databaseAfter === null
          ? null
          : used.database + (databaseAfter - databaseBefore);
    }
  }
  await pause(500);
  const after = await counters(gateway);
  const result = (server: ServerProcess): Measurement => {
    const stats = combine(rounds.get(server)!);
    const perRequest = (seconds: number) => (1000 * seconds) / Math.max(1, stats.requests);
    const used = cpu.get(server)!;
    return {
      stats,
      rounds: rounds.get(server)!,
      peakRssBytes: Math.max(peak.get(server)!, peakTracked.get(server) ? server.peakRss() : 0),
      cpuMsPerRequest: perRequest(used.own),
      loadGeneratorCores: used.client / Math.max(1e-9, stats.seconds),
      ...(used.database !== null && { databaseCpuMsPerRequest: perRequest(used.database) }),
    };
  };
  const results = { gateway: result(gateway), baseline: baseline ? result(baseline) : null };
  // Per request the gateway took on, response-cache hits included (they send no statement).
  results.gateway.sqlStatementsPerRequest =
    (after.statements - before.statements) / Math.max(1, after.requests - before.requests);
  for (const [name, m] of [
    ['gateway', results.gateway],
    ['baseline', results.baseline],
  ] as const) {
    if (!m) continue;
    log(
      `  ${scenario.name}, ${name}: ${m.stats.requestsPerSecond.toFixed(0)} req/s, p50 ${m.stats.p50Ms} ms, ` +
        `p99 ${m.stats.p99Ms} ms, ${m.stats.errors} errors, peak RSS ${(m.peakRssBytes / 2 ** 20).toFixed(0)} MiB, ` +
        `CPU ms/request ${cpuPerRequest(m)}`,
    );
  }
  return results;
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  // The gateway runs as in production, from its build.
  log('building the gateway (npm run build) …');
  const build = spawnSync('npm', ['run', 'build'], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);

  const database = await createBenchDatabase(process.env.DATABASE_URL);
  // The PostgreSQL server's CPU time is read from /proc when it runs on this machine.
  const usesLocalPostgres =
    database.kind === 'postgres' &&
    ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(process.env.DATABASE_URL!).hostname);
  log(`database: ${database.description}`);
  const scratch = join(tmpdir(), `vc-bench-${process.pid}`);
  const scratchFiles: string[] = [];
  const servers: ServerProcess[] = [];
  let identityProvider: IdentityProvider | undefined;
  // The gateways run in production mode, which signs certificates with a key from a file.
  const signingKeyFile = `${scratch}-signing-key.pem`;
  try {
    scratchFiles.push(signingKeyFile);
    writeSigningKey(signingKeyFile);
    // 1. Load, through the providers' write path, in a process started as the gateway starts
    //    (load-catalogue.ts, loadCatalogueAsGateway), with the gateway's own write hooks and the
    //    measured gateways' certificate key (see capture.ts).
    await prepareBenchDatabase(database.options);
    log(
      `loading ${options.listings} listings of ${options.providers} providers, ${options.loadConcurrency} at a time …`,
    );
    const loadResult = await loadCatalogueAsGateway(
      database.env,
      {
        listings: options.listings,
        providers: options.providers,
        concurrency: options.loadConcurrency,
        signingKeyFile,
        progressEvery: 10_000,
      },
      (done) => log(`  ${done} listings`),
    );
    log(
      `loaded in ${loadResult.seconds.toFixed(1)} s: ${loadResult.listingsPerSecond.toFixed(0)} listings/s`,
    );
    const handle = await createDatabase(database.options);
    let scenarioList: Scenario[];
    let capture;
    try {
      const ids = (await handle.db.selectFrom('service').select('id').orderBy('id').execute()).map(
        (r) => r.id,
      );
      // Scenario 4's authorities and certified services (services that no other scenario reads alone).
      const subscribers = await prepareSubscribers(
        handle.db,
        ids.slice(1, 6),
        options.connections,
        signingKeyFile,
      );
      // A quarter of the detail scenario's services is certified, so that its certification resolves
      // to a certificate as well as to none.
      await certifyServices(
        handle.db,
        detailIds(ids, DETAIL_SERVICES).filter((_, i) => i % DETAIL_CERTIFIED_EVERY === 0),
        signingKeyFile,
      );
      // They sign in at an identity provider of their own and send bearer tokens, as in production.
      const authorityIds = subscribers.map((s) => s.authorityId);
      identityProvider = await startBenchIdentityProvider(authorityIds);
      log(`signing ${authorityIds.length} authorities in at ${identityProvider.issuer} …`);
      const tokens = await signIn(identityProvider, authorityIds);
      scenarioList = selectScenarios(
        benchScenarios(
          createSchema(),
          ids,
          subscribers.map((s) => ({ ...s, accessToken: tokens.get(s.authorityId)! })),
        ),
        options.scenarios,
      );
      // 2. Record the SQL of every request, for baseline (a), and the cached response, for baseline (b).
      log('recording the SQL statements of each request …');
      capture = await captureStatements(handle, scenarioList, signingKeyFile);
    } finally {
      await handle.close();
    }
    const statementsFile = `${scratch}-statements.json`;
    scratchFiles.push(statementsFile);
    writeFileSync(
      statementsFile,
      JSON.stringify(
        Object.fromEntries(Object.entries(capture.requests).map(([body, c]) => [body, c.statements])),
      ),
    );

    // 3. The servers, all started before any measurement: embedded PostgreSQL gets a copy of the
    //    data directory per process, as one directory belongs to one process.
    // Production mode: OIDC_ISSUER set (the benchmark's identity provider, on loopback), a key file.
    const gatewayEnv = (cached: boolean, port: number, db: Record<string, string>) => ({
      ...db,
      PORT: String(port),
      HOST: '127.0.0.1',
      OIDC_ISSUER: identityProvider!.issuer,
      CERTIFICATE_SIGNING_KEY_FILE: signingKeyFile,
      HARVEST_POLL_INTERVAL_MS: '0',
      EXPOSE_SQL_STATEMENT_COUNT: 'true',
      ...(cached ? {} : { RESPONSE_CACHE_MAX_BYTES: '0' }),
    });
    const start = async (
      name: string,
      command: readonly [string, ...string[]],
      env: (port: number) => Record<string, string | undefined>,
      readyPath: string,
    ) => {
      const port = await freePort();
      log(`starting ${name} …`);
      // Every server as the production image runs it (deploy/Dockerfile): libraries such as graphql-js
      // skip development-only checks there.
      const server = await startServerProcess(
        name,
        command,
        { ...env(port), NODE_ENV: 'production' },
        port,
        readyPath,
      );
      servers.push(server);
      return server;
    };
    const staticScenario = scenarioList.find((s) => s.baseline === 'static');
    const bodyFile = `${scratch}-static-body.json`;
    scratchFiles.push(bodyFile);
    if (staticScenario) writeFileSync(bodyFile, capture.requests[staticScenario.requests[0]!.body]!.response);
    const copies = { baseline: database.copy('baseline'), cached: database.copy('gateway-cached') };
    // Baseline (a) runs its embedded PostgreSQL compiled as the gateway's is (WASM_LIFTOFF), so that
    // the ratio compares what the gateway adds, not how the database's code was compiled.
    const databaseFlags = wasmCompilerFlags(configFromEnv({ ...process.env, ...database.env }).wasmLiftoff);
    // Each baseline only when a measured scenario compares with it (BENCH_SCENARIOS).
    const baselineA = scenarioList.some((s) => s.baseline === 'sql')
      ? await start(
          'baseline (a)',
          [
            process.execPath,
            ...databaseFlags,
            '--import',
            'tsx',
            'bench/baseline-sql-server.ts',
            statementsFile,
          ],
          (port) => ({ ...copies.baseline, PORT: String(port) }),
          '/',
        )
      : null;
    // Baseline (b) serves the static scenario's response.
    const baselineB = staticScenario
      ? await start(
          'baseline (b)',
          [process.execPath, '--import', 'tsx', 'bench/baseline-static-server.ts', bodyFile],
          (port) => ({ PORT: String(port) }),
          '/',
        )
      : null;
    const uncached = await start(
      'gateway (response cache off)',
      GATEWAY_START,
      (port) => gatewayEnv(false, port, database.env),
      '/readyz',
    );
    const cached = await start(
      'gateway',
      GATEWAY_START,
      (port) => gatewayEnv(true, port, copies.cached),
      '/readyz',
    );

    // 4. Each scenario: the gateway and its baseline, alternating.
    const results: BenchReport['results'] = [];
    // Each gateway's high-water mark so far: its start, when it opened its database. The scenarios
    // reset the mark, so it is read now.
    const gatewayStartPeakRssBytes = Math.max(uncached.peakRss(), cached.peakRss());
    for (const scenario of scenarioList) {
      log(`measuring ${scenario.name} …`);
      const baseline = { sql: baselineA, static: baselineB, none: null }[scenario.baseline];
      const measured = await measureScenario(
        scenario,
        scenario.responseCache ? cached : uncached,
        baseline,
        usesLocalPostgres,
      );
      results.push({
        scenario: scenario.name,
        description: scenario.description,
        baseline: scenario.baseline,
        gateway: measured.gateway,
        baselineMeasurement: measured.baseline,
        ...ratios(measured.gateway, measured.baseline, scenario.baseline),
        targetRatio: { sql: TARGETS.sql, static: TARGETS.static, none: null }[scenario.baseline],
      });
    }

    const notes = [
      ...(options.scenarios.length > 0
        ? [
            `- A partial run: BENCH_SCENARIOS named ${options.scenarios.map((n) => `"${n}"`).join(', ')}, so the other scenarios were not measured.`,
          ]
        : []),
      ...scenarioList.map((s) => `- **${s.name}**: ${s.description}.`),
      '- The gateway runs from its build as the production image starts it (`sh scripts/start-gateway.sh dist/gateway/main.js`, which passes the Node.js flags its configuration asks for) in production mode, with `NODE_ENV=production` as in the production image (so do the baselines): `OIDC_ISSUER` is the development identity provider, started by the benchmark on loopback, where each authority of scenario 4 signs in (authorization code flow) and from where the gateway fetches the keys to verify their bearer tokens; the certificate key comes from a file. Uncached scenarios on a gateway with `RESPONSE_CACHE_MAX_BYTES=0`. The baselines run through tsx.',
      database.kind === 'pglite'
        ? '- Embedded PostgreSQL lives inside the process that uses it: each server opens its own copy of the loaded data directory, and baseline (a) runs the recorded statements through PGlite in its own single process, as the gateway does. The RSS of such a process includes its database: the WebAssembly memory of PGlite (up to about 140 MiB; shared_buffers are 16 MiB of it), which never shrinks once grown, and its compiled code.'
        : "- Baseline (a) uses a `pg` pool of 10 connections, the gateway's default pool size.",
      `- CPU ms / request: the CPU time (user and system, from /proc) the server process used during its rounds and until it had answered what a round left behind, divided by the requests it answered (so it includes the work of up to one request per connection that the load generator abandoned when a round ended)${usesLocalPostgres ? "; after the +, that of the PostgreSQL server on this machine (every postgres process, ended backends and other databases' included) during the same time" : ''}. On a shared machine it explains a ratio better than throughput alone.`,
      "- The load generator (autocannon) runs on one thread of the benchmark's process; its CPU during the baseline's rounds is shown as \"load generator … cores\". Against baseline (b), a fixed body, it limits both servers' requests per second long before either server does, so there the ratio judged against the target is the lower of the throughput ratio and the CPU ratio (the baseline's CPU ms per request over the gateway's); the ratio column says which. p99 is the worst round's. A scenario's peak RSS is the kernel's high-water mark of the process from the start of the scenario's warm-up; the RSS target is judged on that and on each gateway's peak while it started (opening its database) before the first scenario.",
    ];
    // What the benchmark's environment set for the gateways, besides what gatewayEnv sets for both of
    // them (RESPONSE_CACHE_MAX_BYTES only for the uncached one: the cached one takes it from there).
    const overridden = new Set([
      ...Object.keys(gatewayEnv(true, 0, copies.cached)),
      'DATABASE_URL',
      'DATA_DIR',
      'NODE_ENV',
    ]);
    const report: BenchReport = {
      startedAt,
      finishedAt: new Date().toISOString(),
      machine: machine(),
      database: database.description,
      options,
      load: loadResult,
      statementsByPageSize: capture.statementsByPageSize,
      gatewayStartPeakRssBytes,
      gatewaySettings: settingsFromEnvironment(process.env, gatewayVariables(), overridden),
      gatewayStartLine: startLine(uncached.startOutput),
      results,
      notes,
    };
    const path = writeReport(report, database.kind);
    console.log('\n' + markdown(report));
    log(`report written to ${path} and .json`);
  } finally {
    for (const server of servers) await server.stop();
    await identityProvider?.close();
    for (const file of scratchFiles) rmSync(file, { force: true });
    await database.drop();
  }
}

await main();
