import { sql, type Kysely } from 'kysely';

// Immutable once landed: a change to the schema is a new migration.
//
// Every write to a table whose rows a GraphQL response can contain sends a notification on the
// channel `catalog_changed` when its transaction commits; each gateway replica LISTENs and drops its
// response cache (gateway/graphql/response-cache/README.md). A component joins with one statement in
// its own migration: `select attach_catalog_changed('my_table')`.

export async function up(db: Kysely<unknown>): Promise<void> {
  // Row-level, so that a statement that changes no row (an unchanged publish, an empty upsert) stays
  // silent. PostgreSQL folds identical notifications of one transaction into one.
  await sql`
    create function catalog_changed() returns trigger language plpgsql as $$
    begin
      perform pg_notify('catalog_changed', tg_table_name);
      return null;
    end
    $$`.execute(db);

  await sql`
    create function attach_catalog_changed(target regclass) returns void language plpgsql as $$
    begin
      execute format(
        'create trigger catalog_changed after insert or update or delete on %s
           for each row execute function catalog_changed()', target);
      execute format(
        'create trigger catalog_changed_truncate after truncate on %s
           for each statement execute function catalog_changed()', target);
    end
    $$`.execute(db);

  for (const table of ['organisation', 'ozg_leistung', 'service', 'service_revision', 'search_term']) {
    await sql`select attach_catalog_changed(${table}::regclass)`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['organisation', 'ozg_leistung', 'service', 'service_revision', 'search_term']) {
    await sql`drop trigger if exists catalog_changed on ${sql.table(table)}`.execute(db);
    await sql`drop trigger if exists catalog_changed_truncate on ${sql.table(table)}`.execute(db);
  }
  await sql`drop function if exists attach_catalog_changed(regclass)`.execute(db);
  await sql`drop function if exists catalog_changed()`.execute(db);
}
