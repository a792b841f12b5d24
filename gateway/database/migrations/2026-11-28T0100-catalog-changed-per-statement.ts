import { sql, type Kysely } from 'kysely';

// Immutable once landed: a change to the schema is a new migration.
//
// `catalog_changed` (2026-11-25T2100) was a row trigger: a write of 1,000 listings ran it 2,000
// times (a service and a revision each), each a PL/pgSQL call whose notification PostgreSQL then
// folded into the first. Now each watched table has one statement trigger per kind of write, with
// the statement's rows as a transition table: it notifies once per statement that changed a row,
// and stays silent for one that changed none (an unchanged publish, an empty upsert), as before.
// Measured (2026-11-28, 10,000 listings harvested into embedded PostgreSQL, three runs each,
// alternating): 1,455 to 1,530 -> 1,529 to 1,568 listings per second.
//
// PostgreSQL allows a transition table only on a trigger of one event: the trigger of inserts keeps
// the name `catalog_changed` (the response cache finds the watched tables by it), the others are
// `catalog_changed_update` and `catalog_changed_delete`; `catalog_changed_truncate` stays as it is.
// A component attaches a table as before: `select attach_catalog_changed('my_table')`.

const EVENTS = [
  { trigger: 'catalog_changed', event: 'insert', rows: 'new' },
  { trigger: 'catalog_changed_update', event: 'update', rows: 'new' },
  { trigger: 'catalog_changed_delete', event: 'delete', rows: 'old' },
] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function catalog_changed_rows() returns trigger language plpgsql as $$
    begin
      if exists (select from changed_rows) then
        perform pg_notify('catalog_changed', tg_table_name);
      end if;
      return null;
    end
    $$`.execute(db);

  const statementTriggers = EVENTS.map(
    ({ trigger, event, rows }) =>
      `execute format('create trigger ${trigger} after ${event} on %s
         referencing ${rows} table as changed_rows
         for each statement execute function catalog_changed_rows()', target);`,
  ).join('\n');
  await sql
    .raw(
      `create or replace function attach_catalog_changed(target regclass) returns void language plpgsql as $$
       begin
         ${statementTriggers}
         execute format('create trigger catalog_changed_truncate after truncate on %s
           for each statement execute function catalog_changed()', target);
       end
       $$`,
    )
    .execute(db);

  // Every table attached so far: its row trigger is replaced, its truncate trigger kept.
  const { rows: tables } = await sql<{ name: string }>`
    select tgrelid::regclass::text as name from pg_trigger
    where tgname = 'catalog_changed' and not tgisinternal order by 1`.execute(db);
  for (const { name } of tables) {
    await sql.raw(`drop trigger catalog_changed on ${quoted(name)}`).execute(db);
    for (const { trigger, event, rows } of EVENTS) {
      await sql
        .raw(
          `create trigger ${trigger} after ${event} on ${quoted(name)}
           referencing ${rows} table as changed_rows
           for each statement execute function catalog_changed_rows()`,
        )
        .execute(db);
    }
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const { rows: tables } = await sql<{ name: string }>`
    select tgrelid::regclass::text as name from pg_trigger
    where tgname = 'catalog_changed' and not tgisinternal order by 1`.execute(db);
  for (const { name } of tables) {
    for (const { trigger } of EVENTS) await sql.raw(`drop trigger ${trigger} on ${quoted(name)}`).execute(db);
    await sql
      .raw(
        `create trigger catalog_changed after insert or update or delete on ${quoted(name)}
         for each row execute function catalog_changed()`,
      )
      .execute(db);
  }
  await sql`
    create or replace function attach_catalog_changed(target regclass) returns void language plpgsql as $$
    begin
      execute format(
        'create trigger catalog_changed after insert or update or delete on %s
           for each row execute function catalog_changed()', target);
      execute format(
        'create trigger catalog_changed_truncate after truncate on %s
           for each statement execute function catalog_changed()', target);
    end
    $$`.execute(db);
  await sql`drop function catalog_changed_rows()`.execute(db);
}

/** A table name as `regclass::text` gives it (quoted where it must be), checked to be only that. */
function quoted(name: string): string {
  if (!/^(?:[a-z_][a-z0-9_]*|"(?:[^"]|"")+")$/.test(name)) throw new Error(`unexpected table name ${name}`);
  return name;
}
