// The benchmark report: JSON for machines, Markdown for people, both under bench/results/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, type as osType, release } from 'node:os';
import type { LoadStats } from './drive-load.ts';
import type { LoadResult } from './load-catalogue.ts';
import type { BaselineKind } from './scenarios.ts';

export interface Measurement {
  /** All rounds together. */
  stats: LoadStats;
  rounds: LoadStats[];
  /** Highest resident set size of the server process while the scenario ran, in bytes. */
  peakRssBytes: number;
  /** SQL statements per request under load (gateway only: from its /metrics). */
  sqlStatementsPerRequest?: number;
  /** CPU time of the server process per request over all rounds, in ms. */
  cpuMsPerRequest: number;
  /** CPU time the load generator used during this server's rounds, in cores (1 = one core busy throughout). */
  loadGeneratorCores?: number;
  /** CPU time of the PostgreSQL server per request over all rounds, in ms (a server on this machine only). */
  databaseCpuMsPerRequest?: number;
}

export interface ScenarioResult {
  scenario: string;
  description: string;
  baseline: BaselineKind;
  gateway: Measurement;
  /** Null for a scenario without a baseline (writes). */
  baselineMeasurement: Measurement | null;
  /** The ratio judged against the target: the throughput ratio, or the CPU ratio where lower and the load generator was saturated. */
  ratio: number | null;
  /** Gateway requests per second over the baseline's. */
  throughputRatio?: number | null;
  /** The baseline's CPU ms per request over the gateway's (server processes only). */
  cpuRatio?: number | null;
  targetRatio: number | null;
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  machine: { cpu: string; cores: number; memoryGiB: number; os: string; node: string };
  database: string;
  options: {
    listings: number;
    providers: number;
    connections: number;
    rounds: number;
    roundSeconds: number;
    warmupSeconds: number;
  };
  load: LoadResult;
  statementsByPageSize: Record<number, number>;
  /** The higher of the two gateways' peak RSS from their start to the first scenario (opening the database), in bytes. */
  gatewayStartPeakRssBytes?: number;
  /**
   * The gateway's configuration variables that the benchmark's environment set, which its gateways
   * inherit, as `NAME=value` (bench/gateway-settings.ts); and the line in which the gateway named its
   * mode, database and memory settings as it started. Reports before 2026-11-29 have neither.
   */
  gatewaySettings?: string[];
  gatewayStartLine?: string | null;
  results: ScenarioResult[];
  notes: string[];
}

/** The issue's limits; the RSS limit is 300 MB (decimal), that is 286 MiB. */
export const TARGETS = { sql: 0.8, static: 0.5, loadPerSecond: 2000, rssBytes: 300_000_000 } as const;

export function machine(): BenchReport['machine'] {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os: `${osType()} ${release()}`,
    node: process.version,
  };
}

const MiB = 1024 * 1024;
const fixed = (n: number, digits = 0) => n.toFixed(digits);
const ms = (n: number) => (n < 10 ? n.toFixed(1) : n.toFixed(0));
const mark = (ok: boolean) => (ok ? 'met' : 'NOT met');
/** CPU ms per request of the server process, and of the PostgreSQL server when measured. */
export const cpuPerRequest = (m: Measurement) =>
  fixed(m.cpuMsPerRequest, 3) +
  (m.databaseCpuMsPerRequest === undefined ? '' : ` + ${fixed(m.databaseCpuMsPerRequest, 3)} PostgreSQL`);
const BASELINE_NAMES = { sql: '(a) same SQL, no GraphQL', static: '(b) fixed body', none: 'none' } as const;

/** The report as Markdown: the machine, the load rate, and one row per scenario. */
export function markdown(report: BenchReport): string {
  const m = report.machine;
  const lines = [
    `Run ${report.startedAt} on ${m.cores} × ${m.cpu}, ${m.memoryGiB} GiB, ${m.os}, Node.js ${m.node}; ` +
      `${report.database}. ${report.options.connections} connections; per scenario, gateway and baseline in ` +
      `${report.options.rounds} alternating rounds of ${report.options.roundSeconds} s each, after ` +
      `${report.options.warmupSeconds} s of warm-up.`,
    '',
    `Loading: ${report.load.listings.toLocaleString('en')} listings of ${report.load.providers} providers, ` +
      `harvested from their provider nodes over HTTP by the gateway's harvester, ${report.load.concurrency} ` +
      `endpoints at a time, with the gateway's write hooks${loadProcess(report.load)}, in ${fixed(report.load.seconds, 1)} s: ` +
      `**${fixed(report.load.listingsPerSecond)} listings/s** ` +
      `(target ≥ ${TARGETS.loadPerSecond}: ${mark(report.load.listingsPerSecond >= TARGETS.loadPerSecond)}); ` +
      `then \`vacuum analyze\` in ${fixed(report.load.analyzeSeconds, 1)} s.`,
    '',
    '| scenario | gateway req/s | p50 ms | p99 ms | errors | baseline | req/s | p50 ms | p99 ms | errors | ratio (target) | gateway peak RSS | baseline peak RSS | SQL / request | gateway CPU ms / request | baseline CPU ms / request |',
    '| --- | --: | --: | --: | --: | --- | --: | --: | --: | --: | --- | --: | --: | --: | --: | --: |',
  ];
  for (const r of report.results) {
    const g = r.gateway.stats;
    const b = r.baselineMeasurement;
    const baseline = b
      ? `${BASELINE_NAMES[r.baseline]} | ${fixed(b.stats.requestsPerSecond)} | ${ms(b.stats.p50Ms)} | ${ms(b.stats.p99Ms)} | ${b.stats.errors}`
      : `${BASELINE_NAMES[r.baseline]} | – | – | – | –`;
    const judgedByCpu =
      r.cpuRatio !== undefined &&
      r.cpuRatio !== null &&
      r.ratio !== null &&
      r.ratio === r.cpuRatio &&
      r.ratio !== r.throughputRatio;
    const ratio =
      b && r.ratio !== null && r.targetRatio !== null
        ? `**${fixed(r.ratio, 2)}**${judgedByCpu ? ' by CPU' : ''} (≥ ${r.targetRatio}: ${mark(r.ratio >= r.targetRatio)}; ` +
          `throughput ${fixed(r.throughputRatio ?? r.ratio, 2)}, rounds ${roundRatios(r.gateway, b)}` +
          `${r.cpuRatio ? `; CPU ${fixed(r.cpuRatio, 2)}` : ''}` +
          `${b.loadGeneratorCores !== undefined ? `; load generator ${fixed(b.loadGeneratorCores, 2)} cores` : ''})`
        : '–';
    lines.push(
      `| ${r.scenario} | ${fixed(g.requestsPerSecond)} | ${ms(g.p50Ms)} | ${ms(g.p99Ms)} | ${g.errors} | ` +
        `${baseline} | ${ratio} | ${fixed(r.gateway.peakRssBytes / MiB)} MiB | ` +
        `${b ? `${fixed(b.peakRssBytes / MiB)} MiB` : '–'} | ` +
        `${r.gateway.sqlStatementsPerRequest === undefined ? '–' : fixed(r.gateway.sqlStatementsPerRequest, 2)} | ` +
        `${cpuPerRequest(r.gateway)} | ${b ? cpuPerRequest(b) : '–'} |`,
    );
  }
  const scenarioPeakBytes = Math.max(...report.results.map((r) => r.gateway.peakRssBytes));
  const startPeakBytes = report.gatewayStartPeakRssBytes ?? 0;
  const peakBytes = Math.max(scenarioPeakBytes, startPeakBytes);
  const pages = Object.entries(report.statementsByPageSize)
    .map(([first, n]) => `${n} at first=${first}`)
    .join(', ');
  const constant = new Set(Object.values(report.statementsByPageSize)).size === 1;
  lines.push(
    '',
    `Gateway peak RSS ${fixed(peakBytes / MiB)} MiB (under load ${fixed(scenarioPeakBytes / MiB)} MiB, ` +
      `while starting ${fixed(startPeakBytes / MiB)} MiB; target < ${TARGETS.rssBytes / 1e6} MB = ` +
      `${fixed(TARGETS.rssBytes / MiB)} MiB: ${mark(peakBytes < TARGETS.rssBytes)}). ` +
      `SQL statements of the search at different page sizes: ${pages} (${constant ? 'constant' : 'NOT constant'}).`,
  );
  if (report.gatewaySettings) {
    lines.push(
      '',
      `Gateway configuration from the benchmark's environment (besides what the benchmark sets, below): ${
        report.gatewaySettings.length > 0
          ? report.gatewaySettings.map((s) => `\`${s}\``).join(', ')
          : 'none, the defaults'
      }.${report.gatewayStartLine ? ` At start the gateway said: “${report.gatewayStartLine}”` : ''}`,
    );
  }
  for (const note of report.notes) lines.push('', note);
  return lines.join('\n') + '\n';
}

/**
 * The ratio of each round to the baseline's round next to it in time (rounds alternate), from the
 * lowest to the highest: how much of a ratio is the machine's noise.
 */
function roundRatios(gateway: Measurement, baseline: Measurement): string {
  const ratios = gateway.rounds.flatMap((round, i) => {
    const base = baseline.rounds[i]?.requestsPerSecond;
    return base ? [round.requestsPerSecond / base] : [];
  });
  if (ratios.length === 0) return '–';
  return `${fixed(Math.min(...ratios), 2)}–${fixed(Math.max(...ratios), 2)}`;
}

/** Writes `<stamp>-<database>.json` and `.md` under bench/results/; returns the Markdown path. */
export function writeReport(report: BenchReport, databaseKind: string): string {
  const directory = new URL('./results/', import.meta.url);
  mkdirSync(directory, { recursive: true });
  const stamp = report.startedAt.replace(/:\d\d\.\d+Z$/, '').replace(/:/g, '-');
  const base = new URL(`${stamp}-${databaseKind}`, directory);
  writeFileSync(`${base.pathname}.json`, JSON.stringify(report, null, 2) + '\n');
  writeFileSync(`${base.pathname}.md`, markdown(report));
  return `${base.pathname}.md`;
}

/** How the load's process ran, when it was started as the gateway starts (loadCatalogueAsGateway). */
function loadProcess(load: LoadResult): string {
  if (!load.process) return '';
  const settings = [...load.process.nodeFlags.map((flag) => `\`${flag}\``)];
  if (load.process.heapGrowing) settings.push(load.process.heapGrowing);
  return `, in a process started as the gateway starts (${settings.length > 0 ? settings.join(', ') : "Node.js's defaults"})`;
}
