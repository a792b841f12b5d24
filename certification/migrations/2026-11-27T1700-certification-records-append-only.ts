import { sql, type Kysely } from 'kysely';

// Immutable once landed: a change to the schema is a new migration.

// Checks and certificates are history, like the audit events that record them: a check is never
// changed or removed, a certificate only revoked, once. Until now only audit_event refused changes,
// and one update un-revoked a certificate or turned a FAILED check into a PASSED one. As for
// audit_event this is defence in depth against mistakes: whoever can disable the triggers (the table
// owner) can still tamper, and `npm run audit:verify` compares the rows with their events.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function certification_record_append_only() returns trigger language plpgsql as $$
    begin
      raise exception '% is append-only (% refused)', tg_table_name, tg_op using errcode = 'P0001';
    end $$`.execute(db);
  await sql`
    create function certification_certificate_revocation_only() returns trigger language plpgsql as $$
    declare
      -- What a revocation sets (revoke-certificate.ts); every other column stays as issued.
      revocation constant text[] := '{revoked_at,revocation_reason,revoked_by_subject}';
    begin
      if old.revoked_at is null and old.revocation_reason is null and old.revoked_by_subject is null
        and new.revoked_at is not null
        and to_jsonb(new) - revocation = to_jsonb(old) - revocation
      then
        return new;
      end if;
      raise exception 'certification_certificate changes only by a revocation, once (UPDATE refused)'
        using errcode = 'P0001';
    end $$`.execute(db);

  await sql`
    create trigger certification_check_no_update_or_delete before update or delete on certification_check
      for each row execute function certification_record_append_only()`.execute(db);
  await sql`
    create trigger certification_check_no_truncate before truncate on certification_check
      for each statement execute function certification_record_append_only()`.execute(db);
  await sql`
    create trigger certification_certificate_no_delete before delete on certification_certificate
      for each row execute function certification_record_append_only()`.execute(db);
  await sql`
    create trigger certification_certificate_no_truncate before truncate on certification_certificate
      for each statement execute function certification_record_append_only()`.execute(db);
  await sql`
    create trigger certification_certificate_revocation_only before update on certification_certificate
      for each row execute function certification_certificate_revocation_only()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const [table, trigger] of [
    ['certification_check', 'certification_check_no_update_or_delete'],
    ['certification_check', 'certification_check_no_truncate'],
    ['certification_certificate', 'certification_certificate_no_delete'],
    ['certification_certificate', 'certification_certificate_no_truncate'],
    ['certification_certificate', 'certification_certificate_revocation_only'],
  ] as const) {
    await sql`drop trigger if exists ${sql.id(trigger)} on ${sql.table(table)}`.execute(db);
  }
  await sql`drop function if exists certification_certificate_revocation_only()`.execute(db);
  await sql`drop function if exists certification_record_append_only()`.execute(db);
}
