import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { configFromEnv } from '../config.ts';
import { createDatabase, DEFAULT_PGLITE_SHARED_BUFFERS_MB } from './create-database.ts';

async function setting(name: string, sharedBuffersMb?: number): Promise<string> {
  const handle = await createDatabase({ kind: 'pglite', sharedBuffersMb });
  try {
    const { rows } = await sql<{ setting: string }>`select current_setting(${name}) as setting`.execute(
      handle.db,
    );
    return rows[0]!.setting;
  } finally {
    await handle.close();
  }
}

const sharedBuffers = (sharedBuffersMb?: number) => setting('shared_buffers', sharedBuffersMb);

describe('embedded PostgreSQL settings', () => {
  it('runs with the default shared_buffers, or the configured one', async () => {
    expect(await sharedBuffers()).toBe(`${DEFAULT_PGLITE_SHARED_BUFFERS_MB}MB`);
    expect(await sharedBuffers(24)).toBe('24MB');
  });

  it('does not fill new WAL segments with zeros', async () => {
    expect(await setting('wal_init_zero')).toBe('off');
  });

  it('plans each execution of a prepared statement for its values', async () => {
    expect(await setting('plan_cache_mode')).toBe('force_custom_plan');
  });

  it('reads PGLITE_SHARED_BUFFERS_MB and refuses a value that is not a whole number of MiB', () => {
    const options = (env: Record<string, string>) => configFromEnv(env).database;
    expect(options({})).toMatchObject({ kind: 'pglite', sharedBuffersMb: undefined });
    expect(options({ PGLITE_SHARED_BUFFERS_MB: '64' })).toMatchObject({ sharedBuffersMb: 64 });
    expect(() => options({ PGLITE_SHARED_BUFFERS_MB: '32MB' })).toThrow(
      /PGLITE_SHARED_BUFFERS_MB must be an integer/,
    );
    expect(() => options({ PGLITE_SHARED_BUFFERS_MB: '0' })).toThrow(/from 1 to 8192/);
  });
});
