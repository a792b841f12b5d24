import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The file in an embedded data directory that names the process using it. */
export const DATA_DIR_LOCK_FILE = 'catalogue.lock';

/**
 * Claims an embedded data directory for this process until the returned function releases it.
 * Embedded PostgreSQL takes no lock of its own (its postmaster.pid names no real process), so a second
 * process (a second gateway, `npm run audit:verify` while the gateway runs) would open the same files,
 * read a stale state and write over the first one's. Refused with a clear error while the named
 * process lives; the lock of a process that died (SIGKILL, a container restart) is taken over.
 */
export function lockDataDir(dataDir: string): () => void {
  const file = join(dataDir, DATA_DIR_LOCK_FILE);
  const mine = `${process.pid}\n`;
  try {
    writeFileSync(file, mine, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const holder = Number.parseInt(readFileSync(file, 'utf8'), 10);
    // A container's process has the same pid after a restart: its own pid in the file is stale.
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
      throw new Error(
        `The embedded database in ${dataDir} is in use by process ${holder}; only one process may open it at a time (stop that process, or use a PostgreSQL server through DATABASE_URL).`,
      );
    }
    writeFileSync(file, mine);
  }
  return () => {
    try {
      if (readFileSync(file, 'utf8') === mine) unlinkSync(file);
    } catch {
      // Already gone: nothing to release.
    }
  };
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
