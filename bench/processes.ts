// Starting the measured servers as processes of their own, and watching their memory.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface ServerProcess {
  name: string;
  pid: number;
  url: string;
  /** What the process printed (stdout and stderr) until it was ready, up to its last 20,000 characters. */
  startOutput: string;
  /** Resident set size now, in bytes (from /proc). */
  rss(): number;
  /** Highest resident set size since the process started or since resetPeakRss, in bytes. */
  peakRss(): number;
  /** Sets the highest resident set size to the current one (Linux: `5` into /proc/<pid>/clear_refs); false if it could not. */
  resetPeakRss(): boolean;
  /** CPU time (user and system) the process has used since it started, in seconds. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

function status(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
      readFileSync(`/proc/${pid}/status`, 'utf8'),
    );
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Linux reports the times in /proc in USER_HZ, which is 100 on every architecture it runs on. */
const USER_HZ = 100;

/**
 * A process's CPU time in seconds from /proc/<pid>/stat: its own, and that of the children it has
 * reaped; with its parent's pid and whether it is a PostgreSQL process. Null once it has ended.
 */
function processTimes(
  pid: number,
): { own: number; reapedChildren: number; parent: number; postgres: boolean } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      own: (Number(fields[11]) + Number(fields[12])) / USER_HZ,
      reapedChildren: (Number(fields[13]) + Number(fields[14])) / USER_HZ,
      parent: Number(fields[1]),
      postgres: stat.includes('(postgres)'),
    };
  } catch {
    return null;
  }
}

/**
 * CPU time used so far by the PostgreSQL server on this machine, in seconds: every `postgres`
 * process, plus what the ended ones used (a backend's time goes to the postmaster when it ends, so a
 * connection that closes during a round still counts). Null when no PostgreSQL runs here.
 */
export function postgresCpuSeconds(): number | null {
  const processes = new Map<number, NonNullable<ReturnType<typeof processTimes>>>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const times = processTimes(Number(entry));
    if (times?.postgres) processes.set(Number(entry), times);
  }
  if (processes.size === 0) return null;
  let total = 0;
  for (const times of processes.values()) {
    total += times.own;
    if (!processes.has(times.parent)) total += times.reapedChildren; // the postmaster
  }
  return total;
}

/**
 * Starts `node <args>` with `env`, and waits until `GET readyPath` answers 200. TypeScript runs
 * through tsx (`--import tsx`), the gateway from its build as in production.
 */
export async function startServerProcess(
  name: string,
  /** The program and its arguments: Node.js, or `sh` and a start script that becomes Node.js (exec, same pid). */
  [executable, ...args]: readonly [string, ...string[]],
  env: Record<string, string | undefined>,
  port: number,
  readyPath: string,
): Promise<ServerProcess> {
  const child: ChildProcess = spawn(executable, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output = (output + chunk).slice(-20_000)));
  child.stderr!.on('data', (chunk) => (output = (output + chunk).slice(-20_000)));
  let exited: number | null | undefined;
  const exit = new Promise<void>((resolve) =>
    child.on('exit', (code) => {
      exited = code;
      resolve();
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (exited !== undefined)
      throw new Error(`${name} exited with ${exited} before it was ready:\n${output}`);
    try {
      const response = await fetch(`${url}${readyPath}`);
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} was not ready after 180 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const pid = child.pid!;
  return {
    name,
    pid,
    url,
    startOutput: output,
    rss: () => status(pid, 'VmRSS'),
    peakRss: () => status(pid, 'VmHWM'),
    resetPeakRss: () => {
      try {
        writeFileSync(`/proc/${pid}/clear_refs`, '5');
        return true;
      } catch {
        return false;
      }
    },
    cpuSeconds: () => processTimes(pid)?.own ?? 0,
    stop: async () => {
      if (exited !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exit;
      clearTimeout(timer);
    },
  };
}
