import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DATA_DIR_LOCK_FILE } from '../../gateway/database/data-dir-lock.ts';
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

describe('the gateway process', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const env = (extra: NodeJS.ProcessEnv) => {
    const dir = mkdtempSync(join(tmpdir(), 'vc-gateway-process-'));
    dirs.push(dir);
    return {
      ...baseEnv(),
      HOST: '127.0.0.1',
      DEV_IDP_PORT: '0',
      DEMO_DATA: 'false',
      DATA_DIR: dir,
      ...extra,
    };
  };

  it('answers a request in flight on a keep-alive connection at SIGTERM, then exits at once', async () => {
    // The connection stayed open for keepAliveTimeout (65 s) after the answer, and with it the
    // process: longer than Kubernetes waits (30 s) before it kills the pod.
    const gateway = await startGatewayProcess({ env: env({ PORT: '0' }) });
    const { hostname, port } = new URL(gateway.url);
    const socket = connect(Number(port), hostname);
    try {
      let answer = '';
      socket.on('data', (chunk) => (answer += chunk));
      await new Promise((resolve) => socket.once('connect', resolve));
      const body = JSON.stringify({ query: '{ __typename }' });
      socket.write(
        `POST /graphql HTTP/1.1\r\nHost: ${hostname}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      gateway.child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 500));
      socket.write(body.slice(5));
      const ended = await Promise.race([
        gateway.exited,
        new Promise((resolve) => setTimeout(() => resolve('still running after 10 s'), 10_000)),
      ]);
      expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
      expect(ended).toBe(0);
    } finally {
      socket.destroy();
      gateway.child.kill('SIGKILL');
    }
  });

  it('stops on a SIGTERM that arrives while it starts, once the start is done, and frees its data directory', async () => {
    // Without a handler yet, the signal killed the process while it opened and migrated its database.
    const environment = env({ PORT: '0' });
    const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/main.ts'], {
      env: environment,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let signalled = false;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      // The first line comes before the database is opened.
      if (!signalled && out.includes('starting in')) {
        signalled = true;
        child.kill('SIGTERM');
      }
    });
    const code = await new Promise((resolve) => child.on('exit', (exitCode) => resolve(exitCode)));
    expect(code).toBe(0);
    expect(out).toContain('SIGTERM while starting: stopping once the start is done');
    expect(out).toContain('SIGTERM: shutting down before listening');
    expect(out).not.toContain('GraphQL:');
    expect(existsSync(join(environment.DATA_DIR, DATA_DIR_LOCK_FILE))).toBe(false);
  }, 60_000);

  it('says which port is taken when it cannot listen, without a stack trace', async () => {
    const blocker = createNetServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      const result = spawnSync(process.execPath, ['--import', 'tsx', 'gateway/main.ts'], {
        env: env({ PORT: String(port) }),
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(`The gateway cannot listen on 127.0.0.1:${port} (EADDRINUSE)`);
      expect(result.stderr).toContain('Set PORT (or HOST) to a free port.');
      expect(result.stderr).not.toMatch(/\n\s+at /);
    } finally {
      blocker.close();
    }
  });
});
