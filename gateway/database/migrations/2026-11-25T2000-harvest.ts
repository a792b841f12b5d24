import { sql, type Kysely } from 'kysely';

// Immutable once landed: a change to the schema is a new migration.
// Federation: the provider endpoints the gateway harvests, and a report per harvest run.

export async function up(db: Kysely<unknown>): Promise<void> {
  // One endpoint per provider. The columns next_run_at and lease_* are the schedule and the claim:
  // see gateway/harvest/README.md for the concurrency rules.
  await sql`
    create table harvest_endpoint (
      provider_id text primary key references organisation (id),
      url text not null check (length(url) <= 2000),
      requires_token boolean not null default false,
      interval_seconds integer not null check (interval_seconds between 1 and 604800),
      full_sync_interval_seconds integer not null check (full_sync_interval_seconds between 1 and 2592000),
      enabled boolean not null default true,
      next_run_at timestamptz not null default now(),
      full_sync_requested boolean not null default false,
      withdrawal_allowance integer not null default 0 check (withdrawal_allowance >= 0),
      watermark timestamptz,
      last_harvested_at timestamptz,
      last_full_sync_at timestamptz,
      consecutive_failures integer not null default 0,
      circuit_open_until timestamptz,
      lease_owner text,
      lease_expires_at timestamptz,
      registered_by text not null,
      registered_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index harvest_endpoint_due on harvest_endpoint (next_run_at) where enabled`.execute(db);

  await sql`
    create table harvest_run (
      id bigint generated always as identity primary key,
      provider_id text not null references harvest_endpoint (provider_id),
      endpoint_url text not null,
      mode text not null check (mode in ('FULL', 'INCREMENTAL')),
      trigger text not null check (trigger in ('SCHEDULE', 'MANUAL')),
      scheduled_for timestamptz,
      status text not null check (status in ('RUNNING', 'SUCCEEDED', 'HELD', 'FAILED', 'ABANDONED')),
      claimed_by text not null,
      started_at timestamptz not null default now(),
      finished_at timestamptz,
      fetched integer not null default 0,
      created integer not null default 0,
      updated integer not null default 0,
      unchanged integer not null default 0,
      withdrawn integer not null default 0,
      rejected integer not null default 0,
      rejections jsonb not null default '[]',
      held_withdrawals jsonb,
      error_code text,
      error text,
      confirmed_by text,
      confirmed_at timestamptz,
      check (status = 'RUNNING' or finished_at is not null),
      check (trigger = 'MANUAL' or scheduled_for is not null)
    )`.execute(db);
  await sql`create index harvest_run_provider on harvest_run (provider_id, id)`.execute(db);
  // A scheduled run happens once: a second run for the same slot can only follow an abandoned one
  // (its replica died or gave it back).
  await sql`
    create unique index harvest_run_once on harvest_run (provider_id, scheduled_for)
      where trigger = 'SCHEDULE' and status <> 'ABANDONED'`.execute(db);
  await sql`create index harvest_run_running on harvest_run (provider_id) where status = 'RUNNING'`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists harvest_run`.execute(db);
  await sql`drop table if exists harvest_endpoint`.execute(db);
}
