import { sql, type Kysely } from 'kysely';

// Immutable once landed: a change to the schema is a new migration.
// Subscriptions (Nachnutzung): the subscription, its step history, the outbox that tells the provider
// and the providers' webhooks.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table service_subscription (
      id uuid primary key default gen_random_uuid(),
      seq bigint generated always as identity unique,
      organisation_id text not null references organisation (id),
      service_id text not null references service (id),
      provider_id text not null references organisation (id),
      plan_id text not null,
      schutzbedarf text check (schutzbedarf in ('NORMAL', 'HIGH', 'VERY_HIGH')),
      idempotency_key text not null check (length(idempotency_key) between 1 and 200),
      state text not null check (state in ('REQUESTED', 'ACTIVE', 'REJECTED', 'CANCELLED')),
      requested_at timestamptz not null default now(),
      requested_by text not null,
      accepted_at timestamptz,
      accepted_by text,
      rejected_at timestamptz,
      rejected_by text,
      rejection_reason text,
      cancelled_at timestamptz,
      cancelled_by text,
      cancelled_by_organisation_id text references organisation (id),
      cancellation_reason text,
      updated_at timestamptz not null default now(),
      -- The service's certification status (or WITHDRAWN) this subscription's holder was last told
      -- about; a change is recorded once, by whichever transaction or replica moves this column.
      certification_status text not null,
      certification_status_at timestamptz not null default now(),
      unique (organisation_id, idempotency_key),
      check (state <> 'REQUESTED' or (accepted_at is null and rejected_at is null and cancelled_at is null)),
      check (state <> 'ACTIVE' or (accepted_at is not null and rejected_at is null and cancelled_at is null)),
      check (state <> 'REJECTED' or (rejected_at is not null and rejection_reason is not null
                                     and accepted_at is null and cancelled_at is null)),
      check (state <> 'CANCELLED' or (cancelled_at is not null and cancellation_reason is not null
                                      and rejected_at is null))
    )`.execute(db);
  // The rule "one open subscription per organisation, service and plan" lives here, not in code:
  // concurrent subscribe calls cannot both pass it.
  await sql`
    create unique index service_subscription_open
      on service_subscription (organisation_id, service_id, plan_id)
      where state in ('REQUESTED', 'ACTIVE')`.execute(db);
  await sql`create index service_subscription_service on service_subscription (service_id, state)`.execute(
    db,
  );
  await sql`create index service_subscription_provider on service_subscription (provider_id, seq)`.execute(
    db,
  );

  // Every step and every certification notice, in order: who, when, why.
  await sql`
    create table service_subscription_event (
      id bigint generated always as identity primary key,
      subscription_id uuid not null references service_subscription (id),
      kind text not null check (kind in (
        'REQUESTED', 'ACCEPTED', 'REJECTED', 'CANCELLED',
        'CERTIFICATE_EXPIRED', 'CERTIFICATE_REVOKED', 'RECERTIFICATION_REQUIRED', 'CERTIFICATION_LOST',
        'CERTIFICATION_RESTORED', 'SERVICE_WITHDRAWN')),
      occurred_at timestamptz not null default now(),
      actor_subject text,
      actor_organisation_id text references organisation (id),
      reason text,
      details jsonb
    )`.execute(db);
  await sql`
    create index service_subscription_event_subscription
      on service_subscription_event (subscription_id, id)`.execute(db);

  // The outbox: one row per step to tell the provider, written in the step's transaction.
  await sql`
    create table subscription_outbox (
      id bigint generated always as identity primary key,
      event_id bigint not null unique references service_subscription_event (id),
      subscription_id uuid not null references service_subscription (id),
      provider_id text not null references organisation (id),
      payload jsonb not null,
      state text not null default 'PENDING' check (state in ('PENDING', 'DELIVERED', 'SKIPPED', 'DEAD')),
      attempts integer not null default 0,
      created_at timestamptz not null default now(),
      next_attempt_at timestamptz not null default now(),
      lease_owner text,
      lease_until timestamptz,
      last_attempt_at timestamptz,
      last_error text,
      last_status integer,
      target_url text,
      finished_at timestamptz
    )`.execute(db);
  await sql`
    create index subscription_outbox_due on subscription_outbox (next_attempt_at, id)
      where state = 'PENDING'`.execute(db);
  await sql`create index subscription_outbox_subscription on subscription_outbox (subscription_id, id)`.execute(
    db,
  );
  await sql`create index subscription_outbox_dead on subscription_outbox (finished_at) where state = 'DEAD'`.execute(
    db,
  );

  await sql`
    create table provider_webhook (
      provider_id text primary key references organisation (id),
      url text not null check (length(url) <= 2000),
      updated_at timestamptz not null default now(),
      updated_by text not null
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'provider_webhook',
    'subscription_outbox',
    'service_subscription_event',
    'service_subscription',
  ]) {
    await sql`drop table if exists ${sql.table(table)}`.execute(db);
  }
}
