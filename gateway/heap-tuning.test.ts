import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { configFromEnv } from './config.ts';
import {
  describeSemiSpace,
  describeWasmCompiler,
  semiSpaceFlags,
  tuneHeapGrowing,
  wasmCompilerFlags,
} from './heap-tuning.ts';

describe('heap growing factor', () => {
  it('defaults to 20 with embedded PostgreSQL and to V8 own factor with a PostgreSQL server', () => {
    expect(configFromEnv({}).heapGrowingPercent).toBe(20);
    expect(configFromEnv({ DATABASE_URL: 'postgres://db.example/catalogue' }).heapGrowingPercent).toBe(0);
  });

  it('reads HEAP_GROWING_PERCENT and refuses what is not a whole percentage from 0 to 1000', () => {
    expect(configFromEnv({ HEAP_GROWING_PERCENT: '35' }).heapGrowingPercent).toBe(35);
    expect(configFromEnv({ HEAP_GROWING_PERCENT: '0' }).heapGrowingPercent).toBe(0);
    expect(
      configFromEnv({ DATABASE_URL: 'postgres://db.example/catalogue', HEAP_GROWING_PERCENT: '50' })
        .heapGrowingPercent,
    ).toBe(50);
    for (const value of ['-1', '1001', '20%', 'viel', '1.5']) {
      expect(() => configFromEnv({ HEAP_GROWING_PERCENT: value })).toThrow(
        /HEAP_GROWING_PERCENT must be an integer from 0 to 1000/,
      );
    }
  });

  it('sets the V8 flag for a positive percentage and leaves V8 alone at 0', () => {
    const set: string[] = [];
    expect(tuneHeapGrowing(20, (flags) => set.push(flags))).toBe(
      'heap growing factor 1.20 (HEAP_GROWING_PERCENT=20)',
    );
    expect(tuneHeapGrowing(0, (flags) => set.push(flags))).toBeNull();
    expect(set).toEqual(['--heap-growing-percent=20']);
  });

  it('uses a flag this Node.js knows (an unknown one would be ignored when set at run time)', () => {
    const known = spawnSync(process.execPath, ['--heap-growing-percent=20', '-e', '0'], { encoding: 'utf8' });
    expect(known.status, known.stderr).toBe(0);
    const unknown = spawnSync(process.execPath, ['--heap-growing-percentage=20', '-e', '0'], {
      encoding: 'utf8',
    });
    expect(unknown.status).not.toBe(0);
  });
});

describe('young generation (HEAP_SEMI_SPACE_MB)', () => {
  it('defaults to 8 MiB with embedded PostgreSQL and to V8 own size with a PostgreSQL server', () => {
    expect(configFromEnv({}).heapSemiSpaceMb).toBe(8);
    expect(configFromEnv({ DATABASE_URL: 'postgres://db.example/catalogue' }).heapSemiSpaceMb).toBe(0);
    expect(
      configFromEnv({ DATABASE_URL: 'postgres://db.example/catalogue', HEAP_SEMI_SPACE_MB: '12' })
        .heapSemiSpaceMb,
    ).toBe(12);
    for (const value of ['-1', '1025', '8M', 'klein', '2.5']) {
      expect(() => configFromEnv({ HEAP_SEMI_SPACE_MB: value })).toThrow(
        /HEAP_SEMI_SPACE_MB must be an integer from 0 to 1024/,
      );
    }
  });

  it('is a start flag this Node.js knows, none at 0', () => {
    expect(semiSpaceFlags(0)).toEqual([]);
    expect(semiSpaceFlags(8)).toEqual(['--max-semi-space-size=8']);
    const started = spawnSync(process.execPath, [...semiSpaceFlags(8), '-e', '0'], { encoding: 'utf8' });
    expect(started.status, started.stderr).toBe(0);
  });

  it('says in the start-up log whether the setting is in effect', () => {
    expect(describeSemiSpace(0, [])).toBeNull();
    expect(describeSemiSpace(8, ['--max-semi-space-size=8'])).toBe(
      'young generation of 8 MiB semi-spaces (HEAP_SEMI_SPACE_MB=8)',
    );
    expect(describeSemiSpace(8, [])).toMatch(
      /^HEAP_SEMI_SPACE_MB=8 is not in effect: .*scripts\/start-gateway\.sh passes/,
    );
  });
});

describe('WASM_LIFTOFF', () => {
  it('is off by default with embedded PostgreSQL, on with a PostgreSQL server, and configurable', () => {
    expect(configFromEnv({}).wasmLiftoff).toBe(false);
    expect(configFromEnv({ DATABASE_URL: 'postgres://db.example/catalogue' }).wasmLiftoff).toBe(true);
    expect(configFromEnv({ WASM_LIFTOFF: 'true' }).wasmLiftoff).toBe(true);
    expect(() => configFromEnv({ WASM_LIFTOFF: 'manchmal' })).toThrow(
      'WASM_LIFTOFF must be true or false, got "manchmal"',
    );
  });

  it('is a start flag this Node.js knows, none when on', () => {
    expect(wasmCompilerFlags(true)).toEqual([]);
    expect(wasmCompilerFlags(false)).toEqual(['--no-liftoff']);
    const started = spawnSync(process.execPath, [...wasmCompilerFlags(false), '-e', '0'], {
      encoding: 'utf8',
    });
    expect(started.status, started.stderr).toBe(0);
  });

  it('says in the start-up log whether the setting is in effect', () => {
    expect(describeWasmCompiler(true, [])).toBeNull();
    expect(describeWasmCompiler(false, ['--no-liftoff'])).toBe(
      'WebAssembly compiled by the optimizing compiler only (WASM_LIFTOFF=false)',
    );
    expect(describeWasmCompiler(false, [])).toMatch(
      /^WASM_LIFTOFF=false is not in effect: .*scripts\/start-gateway\.sh passes/,
    );
  });
});
