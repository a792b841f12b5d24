import { sql, type Kysely } from 'kysely';

// Immutable once landed: a change to the schema is a new migration.
// Subscriptions join the response cache's invalidation (gateway/graphql/response-cache/README.md):
// `subscriberCount` is public and the subscription queries are cached per organisation and role, so a
// write to any of these tables drops every replica's cached responses when it commits.

const TABLES = [
  'service_subscription',
  'service_subscription_event',
  'subscription_outbox',
  'provider_webhook',
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
