import { Migrator, sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/test-database.ts';
import { CATALOG_CHANGED_CHANNEL, watchedTables } from '../graphql/response-cache/catalog-change-feed.ts';
import type { ChannelListener } from './listen.ts';
import { allMigrations, migrateToLatest } from './migrate.ts';

// Since 2026-11-28T0100 a watched table notifies `catalog_changed` once per statement that changed a
// row, through statement triggers with the statement's rows as a transition table.

const MIGRATION = '2026-11-28T0100-catalog-changed-per-statement';
const TRIGGERS = [
  'catalog_changed',
  'catalog_changed_delete',
  'catalog_changed_truncate',
  'catalog_changed_update',
];

let database: TestDatabase;
let db: Kysely<unknown>;
let listener: ChannelListener;
const heard: string[] = [];
let waiting: (() => void) | undefined;

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db as unknown as Kysely<unknown>;
  await sql`create table trigger_probe (id int primary key, note text)`.execute(db);
  await sql`create table trigger_marker (id serial primary key)`.execute(db);
  for (const table of ['trigger_probe', 'trigger_marker']) {
    await sql`select attach_catalog_changed(${table}::regclass)`.execute(db);
  }
  listener = await database.listen(CATALOG_CHANGED_CHANNEL, {
    notification: (payload) => {
      heard.push(payload);
      if (payload === 'trigger_marker') waiting?.();
    },
    connection: () => {},
  });
});

afterAll(async () => {
  await listener?.close();
  await database?.close();
});

/** Runs `write`, then a write to the marker table, and returns what was heard up to the marker. */
async function notifiedBy(write: string): Promise<string[]> {
  heard.length = 0;
  const marked = new Promise<void>((resolve) => (waiting = resolve));
  await sql.raw(write).execute(db);
  await sql`insert into trigger_marker default values`.execute(db);
  await marked;
  return heard.slice(0, -1);
}

async function triggersOf(table: string) {
  const { rows } = await sql<{ name: string; row: boolean }>`
    select tgname as name, (tgtype & 1) = 1 as row from pg_trigger
    where tgrelid = ${table}::regclass and tgname like 'catalog_changed%' order by tgname`.execute(db);
  return rows;
}

describe('the catalog_changed triggers', () => {
  it('are statement triggers on every watched table', async () => {
    const tables = await watchedTables(database.db);
    for (const core of ['organisation', 'ozg_leistung', 'service', 'service_revision', 'search_term']) {
      expect(tables).toContain(core);
    }
    for (const table of tables) {
      expect(await triggersOf(table)).toEqual(TRIGGERS.map((name) => ({ name, row: false })));
    }
  });

  it('notify once for a statement that changed rows, and not at all for one that changed none', async () => {
    expect(await notifiedBy(`insert into trigger_probe values (1, 'a'), (2, 'b'), (3, 'c')`)).toEqual([
      'trigger_probe',
    ]);
    expect(await notifiedBy(`insert into trigger_probe values (1, 'x') on conflict do nothing`)).toEqual([]);
    expect(await notifiedBy(`update trigger_probe set note = 'x' where id > 10`)).toEqual([]);
    expect(await notifiedBy(`delete from trigger_probe where id > 10`)).toEqual([]);
    expect(await notifiedBy(`update trigger_probe set note = 'y' where id <= 2`)).toEqual(['trigger_probe']);
    expect(
      await notifiedBy(`insert into trigger_probe values (3, 'z') on conflict (id) do update set note = 'z'`),
    ).toEqual(['trigger_probe']);
    expect(await notifiedBy(`delete from trigger_probe where id = 1`)).toEqual(['trigger_probe']);
    expect(await notifiedBy(`truncate trigger_probe`)).toEqual(['trigger_probe']);
  });

  it('go back to one row trigger per table when the migration is reverted', async () => {
    const names = Object.keys(allMigrations()).sort();
    const migrator = new Migrator({ db, provider: { getMigrations: async () => allMigrations() } });
    const down = await migrator.migrateTo(names[names.indexOf(MIGRATION) - 1]!);
    if (down.error) throw down.error;
    const row = [
      { name: 'catalog_changed', row: true },
      { name: 'catalog_changed_truncate', row: false },
    ];
    expect(await triggersOf('service')).toEqual(row);
    expect(await triggersOf('trigger_probe')).toEqual(row);
    await migrateToLatest(database.db);
    expect(await triggersOf('service')).toEqual(TRIGGERS.map((name) => ({ name, row: false })));
  });
});
