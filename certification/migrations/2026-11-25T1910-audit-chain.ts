import { sql, type Kysely } from 'kysely';

// Immutable once landed: a change to the schema is a new migration.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table audit_event (
      sequence bigint primary key check (sequence > 0),
      occurred_at timestamptz not null,
      actor jsonb not null,
      action text not null,
      subject text not null,
      payload jsonb not null,
      previous_hash text not null check (previous_hash ~ '^[0-9a-f]{64}$'),
      hash text not null unique check (hash ~ '^[0-9a-f]{64}$')
    )`.execute(db);

  // The end of the chain: appends lock this one row (see certification/README.md), so concurrent
  // transactions queue up instead of forking the chain.
  await sql`
    create table audit_chain_head (
      singleton boolean primary key default true check (singleton),
      sequence bigint not null check (sequence >= 0),
      hash text not null check (hash ~ '^[0-9a-f]{64}$')
    )`.execute(db);
  await sql`insert into audit_chain_head (singleton, sequence, hash) values (true, 0, ${'0'.repeat(64)})`.execute(
    db,
  );

  // Defence in depth: the application never changes or removes an event. Someone with the rights to
  // drop this trigger can still tamper, which is what the hash chain (npm run audit:verify) detects.
  await sql`
    create function audit_event_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_event is append-only (% refused)', tg_op using errcode = 'P0001';
    end $$`.execute(db);
  await sql`
    create trigger audit_event_no_update_or_delete before update or delete on audit_event
      for each row execute function audit_event_append_only()`.execute(db);
  await sql`
    create trigger audit_event_no_truncate before truncate on audit_event
      for each statement execute function audit_event_append_only()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists audit_chain_head`.execute(db);
  await sql`drop table if exists audit_event`.execute(db);
  await sql`drop function if exists audit_event_append_only()`.execute(db);
}
