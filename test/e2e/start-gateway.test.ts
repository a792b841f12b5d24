import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startGatewayProcess } from '../helpers/gateway-process.ts';
import { rawRequest, UNPARSABLE_TARGET } from '../helpers/raw-http.ts';

// scripts/start-gateway.sh: how npm start and the container image start the gateway. It asks the
// gateway's configuration for the Node.js start flags (gateway/node-flags.ts), then becomes the
// gateway (exec). Runs the real script on the source entry, as npm start does; .ci/run starts the
// image's command on the build.

/** The environment of this process without the settings the cases choose themselves. */
function baseEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of [
    'DATABASE_URL',
    'HEAP_SEMI_SPACE_MB',
    'HEAP_GROWING_PERCENT',
    'WASM_LIFTOFF',
    'OIDC_ISSUER',
  ])
    delete env[name];
  return env;
}

describe('the Node.js start flags the configuration asks for', () => {
  const flags = (env: Record<string, string>) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'gateway/node-flags.ts'], {
      env: { ...baseEnv(), ...env },
      encoding: 'utf8',
    });

  it('are a young generation of 8 MiB and no baseline WebAssembly compiler with embedded PostgreSQL, none with a PostgreSQL server, unless configured', () => {
    expect(flags({}).stdout.trim()).toBe('--max-semi-space-size=8 --no-liftoff');
    expect(flags({ WASM_LIFTOFF: 'true' }).stdout.trim()).toBe('--max-semi-space-size=8');
    expect(flags({ HEAP_SEMI_SPACE_MB: '0', WASM_LIFTOFF: 'on' }).stdout.trim()).toBe('');
    expect(
      flags({ DATABASE_URL: 'postgres://db.example/catalogue', WASM_LIFTOFF: 'false' }).stdout.trim(),
    ).toBe('--no-liftoff');
    expect(flags({ DATABASE_URL: 'postgres://db.example/catalogue' }).stdout.trim()).toBe('');
    expect(
      flags({ DATABASE_URL: 'postgres://db.example/catalogue', HEAP_SEMI_SPACE_MB: '12' }).stdout.trim(),
    ).toBe('--max-semi-space-size=12');
    expect(flags({ HEAP_SEMI_SPACE_MB: '0' }).stdout.trim()).toBe('--no-liftoff');
  });

  it('end with the configuration error and exit code 1 for a bad setting', () => {
    const result = flags({ HEAP_SEMI_SPACE_MB: 'klein' });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('HEAP_SEMI_SPACE_MB must be an integer from 0 to 1024, got "klein"');
    const liftoff = flags({ WASM_LIFTOFF: 'vielleicht' });
    expect(liftoff.status).toBe(1);
    expect(liftoff.stdout).toBe('');
    expect(liftoff.stderr).toContain('WASM_LIFTOFF must be true or false, got "vielleicht"');
  });
});

describe('sh scripts/start-gateway.sh', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const dataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'vc-start-gateway-'));
    dirs.push(dir);
    return dir;
  };

  it('becomes node with the flags, and the gateway answers and stops on SIGTERM', async () => {
    const gateway = await startGatewayProcess({
      command: ['sh', 'scripts/start-gateway.sh', 'gateway/main.ts'],
      env: { ...baseEnv(), PORT: '0', DEV_IDP_PORT: '0', DEMO_DATA: 'false', DATA_DIR: dataDir() },
    });
    const { url, child, output } = gateway;
    try {
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      // The script's process became node (exec): same pid, the flag in its command line.
      const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      expect(cmdline[0]).toMatch(/node$/);
      expect(cmdline.slice(1)).toEqual([
        '--max-semi-space-size=8',
        '--no-liftoff',
        '--import',
        'tsx',
        'gateway/main.ts',
      ]);
      expect(output()).toContain('young generation of 8 MiB semi-spaces (HEAP_SEMI_SPACE_MB=8)');
      expect(output()).toContain('WebAssembly compiled by the optimizing compiler only (WASM_LIFTOFF=false)');
      // A request target the URL parser refuses threw outside any try and ended the process.
      const answer = await rawRequest(url, UNPARSABLE_TARGET);
      expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
      expect(answer).toContain('{"error":"the request target is not a URL"}');
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await gateway.exited).toBe(0);
  });

  it('does not start the gateway when the configuration is bad, and says why', () => {
    const result = spawnSync('sh', ['scripts/start-gateway.sh', 'gateway/main.ts'], {
      env: { ...baseEnv(), PORT: '0', DATA_DIR: dataDir(), HEAP_SEMI_SPACE_MB: '-1' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('HEAP_SEMI_SPACE_MB must be an integer from 0 to 1024, got "-1"');
    expect(result.stdout).not.toContain('starting');
  });

  it('says how it is used when the entry is missing', () => {
    const result = spawnSync('sh', ['scripts/start-gateway.sh'], { env: baseEnv(), encoding: 'utf8' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('usage: sh scripts/start-gateway.sh');
  });
});
