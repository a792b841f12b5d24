import { sql, type Kysely } from 'kysely';

// Immutable once landed: a change to the schema is a new migration.
// A DEAD notification can be sent again (retrySubscriptionDelivery): when and by whom, and from then on
// its retry period and backoff count from that moment instead of from the step.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table subscription_outbox
      add column retried_at timestamptz,
      add column retried_by text,
      add constraint subscription_outbox_retried check ((retried_at is null) = (retried_by is null))`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table subscription_outbox
      drop constraint subscription_outbox_retried,
      drop column retried_at,
      drop column retried_by`.execute(db);
}
