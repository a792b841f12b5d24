// CI: starts the container image's command (deploy/Dockerfile's CMD, on the build in dist/) as the
// image would (its ENV, a fresh data directory), waits until /readyz answers, and stops it with
// SIGTERM as Kubernetes does. Docker itself cannot run here; this checks everything but the image.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dockerfile = readFileSync('deploy/Dockerfile', 'utf8');
const [command, ...args] = JSON.parse(dockerfile.match(/^CMD (\[.*\])$/m)[1]);
const port = await new Promise((resolve) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    server.close(() => resolve(port));
  });
});
const dataDir = mkdtempSync(join(tmpdir(), 'vc-start-command-'));
const child = spawn(command, args, {
  env: { ...process.env, NODE_ENV: 'production', PORT: String(port), DATA_DIR: dataDir, DEV_IDP_PORT: '0' },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let output = '';
child.stdout.on('data', (chunk) => (output += chunk));
child.stderr.on('data', (chunk) => (output += chunk));
const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
const fail = (message) => {
  console.error(`${message}\n--- output of ${[command, ...args].join(' ')}:\n${output}`);
  child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(1);
};

const deadline = Date.now() + 120_000;
for (;;) {
  if (child.exitCode !== null) fail(`the start command exited with ${child.exitCode} before it was ready`);
  const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
    (r) => r.status === 200,
    () => false,
  );
  if (ready) break;
  if (Date.now() > deadline) fail('/readyz did not answer 200 within 120 s');
  await new Promise((resolve) => setTimeout(resolve, 500));
}
// The start script became the gateway: the image's process is node itself, with its flags.
const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
if (!cmdline[0]?.endsWith('node') || !cmdline.includes('--max-semi-space-size=8'))
  fail(
    `expected node with --max-semi-space-size=8 (embedded PostgreSQL) as the image's process, got ${cmdline.join(' ')}`,
  );
child.kill('SIGTERM');
const timer = setTimeout(() => fail('the gateway did not stop within 15 s of SIGTERM'), 15_000);
const { code, signal } = await exited;
clearTimeout(timer);
rmSync(dataDir, { recursive: true, force: true });
if (code !== 0) fail(`the gateway ended with ${code ?? signal} after SIGTERM`);
console.log(
  `${[command, ...args].join(' ')}: ready on port ${port} as ${cmdline.join(' ')}; stopped cleanly on SIGTERM`,
);
