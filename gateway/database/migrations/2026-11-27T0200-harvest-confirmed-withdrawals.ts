import { sql, type Kysely } from 'kysely';

// Immutable once landed: a change to the schema is a new migration.

// A coordinator's confirmation of a held full sync names the listings it saw (the run's
// held_withdrawals), so that the next full sync withdraws those beyond the share limit and no
// others. withdrawal_allowance (a count) stays, written as before, for replicas not yet updated.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table harvest_endpoint add column withdrawal_confirmed jsonb`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table harvest_endpoint drop column withdrawal_confirmed`.execute(db);
}
