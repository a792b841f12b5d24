// Runs once before the test files (vitest globalSetup). On embedded PostgreSQL it builds the database
// every test file starts from: a fresh in-memory PGlite database, migrated, with the reference data,
// dumped to a file. Opening that dump takes about a second; initdb, migrations and reference data
// took about five for each test file's database.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely } from 'kysely';
import type { TestProject } from 'vitest/node';
import { syncReferenceData } from '../../gateway/catalog/sync-reference-data.ts';
import { pgliteOptions } from '../../gateway/database/create-database.ts';
import type { Database } from '../../gateway/database/database.ts';
import { migrateToLatest } from '../../gateway/database/migrate.ts';
import { PGliteWire } from '../../gateway/database/pglite-wire.ts';
import { PGliteDialect } from '../../gateway/database/pglite-dialect.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The migrated embedded database to start from (a PGlite dump), or null on PostgreSQL. */
    pgliteTemplate: string | null;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  if (process.env.DATABASE_URL) {
    project.provide('pgliteTemplate', null);
    return () => {};
  }
  // Opened as createDatabase opens embedded PostgreSQL, so that the dump is what it would hold.
  const client = await PGlite.create('memory://', pgliteOptions());
  const db = new Kysely<Database>({ dialect: new PGliteDialect(new PGliteWire(client)) });
  const dir = mkdtempSync(join(tmpdir(), 'vc-test-template-'));
  const file = join(dir, 'migrated.tar.gz');
  try {
    await migrateToLatest(db);
    await syncReferenceData(db);
    writeFileSync(file, new Uint8Array(await (await client.dumpDataDir('gzip')).arrayBuffer()));
  } finally {
    await db.destroy();
    await client.close();
  }
  project.provide('pgliteTemplate', file);
  return () => rmSync(dir, { recursive: true, force: true });
}
