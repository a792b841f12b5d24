import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase } from './create-database.ts';
import { DATA_DIR_LOCK_FILE } from './data-dir-lock.ts';

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
      expect(readFileSync(join(dir, DATA_DIR_LOCK_FILE), 'utf8')).toBe(`${process.pid}\n`);
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
});
