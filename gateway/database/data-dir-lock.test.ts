import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase } from './create-database.ts';
import { DATA_DIR_LOCK_FILE, LOCK_STALE_MS } from './data-dir-lock.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vc-lock-'));
  dirs.push(dir);
  return dir;
}

/** A process that lives until killed, and one that has already ended: their pids. */
async function processes() {
  const living = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  const ended = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => ended.on('exit', resolve));
  return { living, ended: ended.pid! };
}

describe('an embedded data directory', () => {
  it('is refused while another living process holds it, and taken over from one that died', async () => {
    const dir = dataDir();
    const { living, ended } = await processes();
    try {
      writeFileSync(join(dir, DATA_DIR_LOCK_FILE), `${living.pid}\n`);
      await expect(createDatabase({ kind: 'pglite', dataDir: dir })).rejects.toThrow(
        `in use by process ${living.pid}`,
      );
      // Refused before anything was opened: the other process's lock is untouched.
      expect(readFileSync(join(dir, DATA_DIR_LOCK_FILE), 'utf8')).toBe(`${living.pid}\n`);

      writeFileSync(join(dir, DATA_DIR_LOCK_FILE), `${ended}\n`);
      const database = await createDatabase({ kind: 'pglite', dataDir: dir });
      expect(readFileSync(join(dir, DATA_DIR_LOCK_FILE), 'utf8')).toMatch(new RegExp(`^${process.pid} `));
      await database.close();
      expect(existsSync(join(dir, DATA_DIR_LOCK_FILE))).toBe(false);
    } finally {
      living.kill();
    }
  });

  it('is held by an open database against a second process', async () => {
    const dir = dataDir();
    const database = await createDatabase({ kind: 'pglite', dataDir: dir });
    try {
      const script = `import { createDatabase } from './gateway/database/create-database.ts';
        await createDatabase({ kind: 'pglite', dataDir: process.argv[1] }).then(
          () => { console.log('opened'); process.exit(0); },
          (error) => { console.log(error.message); process.exit(3); });`;
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dir], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      const code = await new Promise((resolve) => child.on('exit', resolve));
      expect(code).toBe(3);
      expect(output).toContain(`in use by process ${process.pid}`);
    } finally {
      await database.close();
    }
  });

  it('is refused while another host keeps its lock fresh, whatever the pid, and taken over once it is stale', async () => {
    // Two containers on one volume are often both pid 1: the pid of another host's lock means
    // nothing here, and a lock naming this process's own pid was taken as this process's own.
    const dir = dataDir();
    const lock = join(dir, DATA_DIR_LOCK_FILE);
    writeFileSync(lock, `${process.pid} anderer-container 0f1e\n`);
    await expect(createDatabase({ kind: 'pglite', dataDir: dir })).rejects.toThrow(
      `in use by process ${process.pid} on host anderer-container`,
    );
    const old = new Date(Date.now() - LOCK_STALE_MS - 5000);
    utimesSync(lock, old, old);
    const database = await createDatabase({ kind: 'pglite', dataDir: dir });
    expect(readFileSync(lock, 'utf8')).toMatch(new RegExp(`^${process.pid} `));
    await database.close();
  });

  it('is taken over from a dead process by only one of two processes starting together', async () => {
    // Both read the dead pid and both wrote the lock: both opened the directory (14 of 15 trials).
    const contender = new URL('../../test/helpers/lock-contender.ts', import.meta.url).pathname;
    for (let trial = 0; trial < 6; trial++) {
      const dir = dataDir();
      writeFileSync(join(dir, DATA_DIR_LOCK_FILE), '999999999\n');
      const go = join(dir, 'go');
      const outcomes = [0, 1].map(() => {
        const child = spawn(process.execPath, ['--import', 'tsx', contender, dir, go], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
        return new Promise<string>((resolve) => child.on('exit', () => resolve(output.split('\n')[1]!)));
      });
      await new Promise((resolve) => setTimeout(resolve, 1500)); // both are spinning
      writeFileSync(go, '');
      expect((await Promise.all(outcomes)).sort(), `trial ${trial}`).toEqual(['locked', 'refused']);
    }
  });
});
