import { Migrator, sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { titleSortKey } from '../catalog/title-sort-key.ts';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/test-database.ts';
import { allMigrations, migrateToLatest } from './migrate.ts';

// The migration that adds `service.title_sort` computes the key of the rows already stored: it must
// be the key the gateway computes when it writes a listing, whatever the title.

const MIGRATION = '2026-11-27T1500-service-title-sort';

const TITLES = [
  'Zweitwohnungsteuer',
  'Ärztliche Bescheinigung',
  'eAkte Kommunal',
  'Öffentliche Ausschreibung',
  'Übergangsgeld'.normalize('NFD'),
  'Straßenreinigung',
  'GROẞHANDEL',
  'Crème Brûlée',
  'Łódź Øresund Æbleskiver',
  'ﬁnanzamt Ａb',
  '한국 행정',
  '🐕 Hundesteuer',
];
/** More rows than the migration updates in one statement. */
const ROWS = 2500;

let database: TestDatabase;
let db: Kysely<unknown>;

beforeAll(async () => {
  database = await createTestDatabase({ migrate: false });
  db = database.db as unknown as Kysely<unknown>;
  const names = Object.keys(allMigrations()).sort();
  const before = names[names.indexOf(MIGRATION) - 1]!;
  const migrator = new Migrator({ db, provider: { getMigrations: async () => allMigrations() } });
  const result = await migrator.migrateTo(before);
  if (result.error) throw result.error;

  // Rows as the gateway wrote them before the migration.
  await sql`insert into organisation (id, kind, name) values ('nordwerk', 'PROVIDER', 'Nordwerk')`.execute(
    db,
  );
  await sql`
    insert into service (id, provider_id, local_id, status, revision, version, content_hash, document,
      title, summary, description, keywords_text, themenfelder, lebenslagen, ozg_ids, leika_keys,
      available_in, efa, operating_model, hosting_location, schutzbedarf, schutzbedarf_level, source,
      fetched_at)
    select 'nordwerk/d' || n, 'nordwerk', 'd' || n, 'ACTIVE', 1, '1.0.0', repeat('0', 64), '{}'::jsonb,
      (${TITLES}::text[])[1 + n % ${TITLES.length}] || ' ' || n, 'Kurz', 'Lang', '', '{}', '{}', '{}', '{}',
      '{DE-SH}', false, 'SAAS', 'DE', 'NORMAL', 1, 'PUSH', now()
    from generate_series(1, ${ROWS}) as n`.execute(db);

  await migrateToLatest(database.db);
});
afterAll(() => database?.close());

describe(`migration ${MIGRATION}`, () => {
  it('gives every stored row the key the gateway computes from its title', async () => {
    const { rows } = await sql<{ id: string; title: string; title_sort: string }>`
      select id, title, title_sort from service order by id`.execute(db);
    expect(rows).toHaveLength(ROWS);
    const wrong = rows.filter((row) => row.title_sort !== titleSortKey(row.title));
    expect(wrong).toEqual([]);
  });

  it('makes the key required and replaces the title index', async () => {
    const { rows: columns } = await sql<{ is_nullable: string }>`
      select is_nullable from information_schema.columns
      where table_name = 'service' and column_name = 'title_sort'`.execute(db);
    expect(columns).toEqual([{ is_nullable: 'NO' }]);
    const { rows: indexes } = await sql<{ indexname: string; indexdef: string }>`
      select indexname, indexdef from pg_indexes
      where tablename = 'service' and indexname like 'service_title%'`.execute(db);
    expect(indexes).toHaveLength(1);
    expect(indexes[0]!.indexname).toBe('service_title_sort');
    expect(indexes[0]!.indexdef).toMatch(/\(title_sort, title, id\)$/);
  });
});
