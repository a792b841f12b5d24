import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { inject } from 'vitest';
import { createDatabase } from '../../gateway/database/create-database.ts';
import type { DatabaseHandle } from '../../gateway/database/database.ts';
import { migrateToLatest } from '../../gateway/database/migrate.ts';
import { syncReferenceData } from '../../gateway/catalog/sync-reference-data.ts';

/** Which database the suite runs on: real PostgreSQL when DATABASE_URL is set, else embedded PGlite. */
export const TEST_DIALECT: 'postgres' | 'pglite' = process.env.DATABASE_URL ? 'postgres' : 'pglite';

export interface TestDatabase extends DatabaseHandle {
  /** The connection URL of the database made for this test (PostgreSQL only). */
  url?: string;
}

let template: Blob | undefined;

/** Creates an empty database of its own for one test file: migrations applied, reference data loaded. */
export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const adminUrl = process.env.DATABASE_URL;
  const migrate = options.migrate !== false;
  if (!adminUrl) {
    if (!migrate) return createDatabase({ kind: 'pglite' });
    // Migrated, with the reference data: the dump global-setup.ts made for this run.
    template ??= new Blob([readFileSync(inject('pgliteTemplate')!)]);
    return createDatabase({ kind: 'pglite', initialData: template });
  }
  const name = `vc_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await adminQuery(adminUrl, `create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const opened = await createDatabase({ kind: 'postgres', url: url.toString(), poolSize: 20 });
  if (migrate) {
    await migrateToLatest(opened.db);
    await syncReferenceData(opened.db);
  }
  return {
    ...opened,
    url: url.toString(),
    close: async () => {
      await opened.close();
      await adminQuery(adminUrl, `drop database if exists ${name} with (force)`);
    },
  };
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
