import { Migrator, sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishListings } from '../catalog/publish-listings.ts';
import { makeListing, registerOrganisation } from '../../test/helpers/listings.ts';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/test-database.ts';
import type { Database } from './database.ts';
import { allMigrations, migrateToLatest } from './migrate.ts';

// Since 2026-11-28T0000 a service's document is stored out of the row uncompressed; documents
// written before stay compressed, and both read back as they were published.

const MIGRATION = '2026-11-28T0000-service-document-uncompressed';

let database: TestDatabase;
let db: Kysely<Database>;

/** A listing whose row is larger than PostgreSQL keeps inline, with a document that compresses well. */
const large = (id: string) =>
  makeListing({
    id,
    description: `Ein Onlinedienst für die Prüfung des Katalogs, Abschnitt ${id}. `.repeat(60).trim(),
  });

async function stored(id: string) {
  const { rows } = await sql<{ compression: string | null; document: unknown }>`
    select pg_column_compression(document) as compression, document from service where id = ${id}`.execute(
    db,
  );
  return rows[0]!;
}

beforeAll(async () => {
  database = await createTestDatabase({ migrate: false });
  db = database.db;
  const names = Object.keys(allMigrations()).sort();
  const migrator = new Migrator({ db, provider: { getMigrations: async () => allMigrations() } });
  const result = await migrator.migrateTo(names[names.indexOf(MIGRATION) - 1]!);
  if (result.error) throw result.error;
  await registerOrganisation(db, 'speicherwerk');
});
afterAll(() => database?.close());

describe('how a service document is stored', () => {
  it('keeps documents written before compressed, and stores new ones uncompressed', async () => {
    const before = large('vorher');
    await publishListings(db, [{ providerId: 'speicherwerk', listing: before, source: 'PUSH' }]);
    expect(await stored('speicherwerk/vorher')).toEqual({ compression: 'pglz', document: before });

    await migrateToLatest(db);
    const { rows } = await sql<{ storage: string }>`
      select attstorage as storage from pg_attribute
      where attrelid = 'service'::regclass and attname = 'document'`.execute(db);
    expect(rows).toEqual([{ storage: 'e' }]);

    const after = large('nachher');
    await publishListings(db, [{ providerId: 'speicherwerk', listing: after, source: 'PUSH' }]);
    expect(await stored('speicherwerk/nachher')).toEqual({ compression: null, document: after });
    expect(await stored('speicherwerk/vorher')).toEqual({ compression: 'pglz', document: before });

    // Written again (a new revision), the older one is stored uncompressed too.
    const changed = { ...before, version: '1.0.1' };
    await publishListings(db, [{ providerId: 'speicherwerk', listing: changed, source: 'PUSH' }]);
    expect(await stored('speicherwerk/vorher')).toEqual({ compression: null, document: changed });
  });
});
