import { sql, type Kysely } from 'kysely';

// Immutable once landed: a change to the schema is a new migration.
//
// The tables of other components that existed before catalog_changed() did and that GraphQL
// responses read: certification (criteria, profiles, checks, certificates) and federation (harvest
// endpoints and runs). Tables created after 2026-11-25T2100 attach themselves in their own migration.
const TABLES = [
  'certification_criterion',
  'certification_profile',
  'certification_check',
  'certification_certificate',
  'harvest_endpoint',
  'harvest_run',
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of TABLES) await sql`select attach_catalog_changed(${table}::regclass)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of TABLES) {
    await sql`drop trigger if exists catalog_changed on ${sql.table(table)}`.execute(db);
    await sql`drop trigger if exists catalog_changed_truncate on ${sql.table(table)}`.execute(db);
  }
}
