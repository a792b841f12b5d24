import { randomUUID } from 'node:crypto';
import { readFileSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** The file in an embedded data directory that names the process using it. */
export const DATA_DIR_LOCK_FILE = 'catalogue.lock';

/** How often the holder refreshes the lock file's modification time. */
export const LOCK_HEARTBEAT_MS = 10_000;
/** A lock of another host (another container) not refreshed for this long is stale. */
export const LOCK_STALE_MS = 60_000;
/**
 * How long a process waits after writing the lock before it reads it back (see lockDataDir): two
 * processes taking over one stale lock both write it within microseconds of reading it, so the
 * later write is in place long before either reads back, unless one was held up between its read
 * and its write for longer than this.
 */
const SETTLE_MS = 200;

interface Holder {
  pid: number;
  /** Null in a lock written before the host was recorded: taken as this host. */
  host: string | null;
}

/**
 * Claims an embedded data directory for this process until the returned function releases it.
 * Embedded PostgreSQL takes no lock of its own (its postmaster.pid names no real process), so a second
 * process (a second gateway, `npm run audit:verify` while the gateway runs) would open the same files,
 * read a stale state and write over the first one's. Refused with a clear error while the holder lives:
 * on this host, while its process lives (the lock of one that died, SIGKILL or a container restart, is
 * taken over); from another host, such as a second container on the same volume, whose process ids
 * mean nothing here (both are often pid 1), while the holder keeps refreshing the lock
 * (every LOCK_HEARTBEAT_MS; stale after LOCK_STALE_MS). Two processes that take over one stale lock at
 * the same moment both write it; each reads it back after a moment, and only the last writer keeps it.
 */
export function lockDataDir(dataDir: string): () => void {
  const file = join(dataDir, DATA_DIR_LOCK_FILE);
  const mine = `${process.pid} ${hostname()} ${randomUUID()}\n`;
  try {
    writeFileSync(file, mine, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const held = readFileSync(file, 'utf8');
    const holder = parseHolder(held);
    if (holder && !isStale(holder, file)) throw inUse(dataDir, holder);
    writeFileSync(file, mine);
  }
  sleep(SETTLE_MS);
  const now = readFileSync(file, 'utf8');
  if (now !== mine) throw inUse(dataDir, parseHolder(now) ?? { pid: 0, host: null });
  const heartbeat = setInterval(() => {
    try {
      const time = new Date();
      utimesSync(file, time, time);
    } catch {
      // Gone (the directory was removed): nothing left to keep alive.
    }
  }, LOCK_HEARTBEAT_MS);
  heartbeat.unref();
  return () => {
    clearInterval(heartbeat);
    try {
      if (readFileSync(file, 'utf8') === mine) unlinkSync(file);
    } catch {
      // Already gone: nothing to release.
    }
  };
}

function parseHolder(text: string): Holder | null {
  const [pid, host] = text.trim().split(/\s+/);
  const n = Number.parseInt(pid ?? '', 10);
  if (!Number.isInteger(n) || n <= 0) return null;
  return { pid: n, host: host ?? null };
}

function isStale(holder: Holder, file: string): boolean {
  if (holder.host === null || holder.host === hostname()) {
    // A container's process has the same pid after a restart: its own pid in the file is stale.
    return holder.pid === process.pid || !isAlive(holder.pid);
  }
  return Date.now() - statSync(file).mtimeMs > LOCK_STALE_MS;
}

function inUse(dataDir: string, holder: Holder): Error {
  const where = holder.host && holder.host !== hostname() ? ` on host ${holder.host}` : '';
  return new Error(
    `The embedded database in ${dataDir} is in use by process ${holder.pid}${where}; only one process may open it at a time (stop that process, or use a PostgreSQL server through DATABASE_URL).`,
  );
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Blocks this thread for `ms`: the lock is taken once, before the database opens. */
function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
