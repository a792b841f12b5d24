import { setFlagsFromString } from 'node:v8';

/**
 * Keeps V8's heap close to what is live: after each full collection the heap may grow to
 * (1 + percent / 100) times what survived, instead of V8's own factor, which under load lets it
 * grow to several times that. With embedded PostgreSQL the database's memory shares the process,
 * so the gateway's default there is 20 (HEAP_GROWING_PERCENT): measured under detail load, the
 * old generation stayed at about 45 instead of up to 160 MiB and the process peaked about 100 MiB
 * lower, for about 3 % more CPU time per request; with a PostgreSQL server that CPU matters more
 * (about 10 % more per request), and the default is V8's own. Returns what it set, for the start-up
 * log, or null when V8 keeps its own factor.
 */
export function tuneHeapGrowing(
  percent: number,
  setFlags: (flags: string) => void = setFlagsFromString,
): string | null {
  if (percent <= 0) return null;
  // Set after V8 has started, it still takes effect: measured side by side against the command-line flag.
  setFlags(`--heap-growing-percent=${percent}`);
  return `heap growing factor ${(1 + percent / 100).toFixed(2)} (HEAP_GROWING_PERCENT=${percent})`;
}

/**
 * The Node.js start flags for V8's young generation: semi-spaces of at most `megabytes` MiB
 * (HEAP_SEMI_SPACE_MB), none at 0. V8 sizes its young generation when it starts, so unlike the
 * growing factor this cannot be set from inside the process; scripts/start-gateway.sh asks
 * node-flags.ts for these flags and starts the gateway with them. Fewer and smaller semi-spaces mean
 * more frequent young collections: with embedded PostgreSQL (default 8) that kept the gateway's peak
 * about 30 MiB lower at no measurable CPU cost; with a PostgreSQL server it cost about 20 % more CPU
 * per detail request, so the default there is V8's own (16 MiB).
 */
export function semiSpaceFlags(megabytes: number): string[] {
  return megabytes > 0 ? [`--max-semi-space-size=${megabytes}`] : [];
}

/**
 * What the start-up log says about the young generation: the size in effect, or, when the process
 * was started without the flag (not through scripts/start-gateway.sh), that the setting is not.
 */
export function describeSemiSpace(
  megabytes: number,
  execArgv: readonly string[] = process.execArgv,
): string | null {
  if (megabytes <= 0) return null;
  return describeStartFlags(
    `HEAP_SEMI_SPACE_MB=${megabytes}`,
    semiSpaceFlags(megabytes),
    `young generation of ${megabytes} MiB semi-spaces (HEAP_SEMI_SPACE_MB=${megabytes})`,
    execArgv,
  );
}

/**
 * What the start-up log says about a setting that is a Node.js start flag: `inEffect` when the
 * process was started with its flags, else that it was not started through scripts/start-gateway.sh.
 */
function describeStartFlags(
  setting: string,
  flags: readonly string[],
  inEffect: string,
  execArgv: readonly string[],
): string {
  if (flags.every((flag) => execArgv.includes(flag))) return inEffect;
  return (
    `${setting} is not in effect: it is a Node.js start flag, which ` +
    'scripts/start-gateway.sh passes (npm start and the container image start through it)'
  );
}

/**
 * The Node.js start flag for V8's baseline WebAssembly compiler (WASM_LIFTOFF): `--no-liftoff` when
 * it is off. V8 compiles each WebAssembly function when it is first called, first with Liftoff, and
 * again with its optimizing compiler once it runs often; both copies of embedded PostgreSQL's code
 * stay in memory. Without Liftoff each function is compiled once, optimized. Under the benchmark's
 * load (2026-11-27) the gateway's peak over all scenarios was 225 and 229 MiB in two runs without
 * Liftoff, 255, 279 and 287 MiB in three runs with it, at the same or less CPU time per request.
 */
export function wasmCompilerFlags(liftoff: boolean): string[] {
  return liftoff ? [] : ['--no-liftoff'];
}

/**
 * Every Node.js start flag the gateway's configuration asks for (HEAP_SEMI_SPACE_MB, WASM_LIFTOFF):
 * what scripts/start-gateway.sh starts the gateway with (node-flags.ts), and the benchmark its load.
 */
export function startFlags(config: { heapSemiSpaceMb: number; wasmLiftoff: boolean }): string[] {
  return [...semiSpaceFlags(config.heapSemiSpaceMb), ...wasmCompilerFlags(config.wasmLiftoff)];
}

/** What the start-up log says about WASM_LIFTOFF=false: in effect, or that the flag was not passed. */
export function describeWasmCompiler(
  liftoff: boolean,
  execArgv: readonly string[] = process.execArgv,
): string | null {
  if (liftoff) return null;
  return describeStartFlags(
    'WASM_LIFTOFF=false',
    wasmCompilerFlags(liftoff),
    'WebAssembly compiled by the optimizing compiler only (WASM_LIFTOFF=false)',
    execArgv,
  );
}
