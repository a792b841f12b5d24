import { sql, type Kysely } from 'kysely';
import type { Database } from '../gateway/database/database.ts';
import { auditEventHash, GENESIS_HASH, type AuditEvent } from './audit-chain.ts';
import type { AuditActor } from './schema.ts';

export interface AuditChainBreak {
  /**
   * The sequence number of the first event that does not link up (for a cut-off tail: the head's), or
   * of the event a check or certificate row disagrees with; null for a row no event records.
   */
  sequence: number | null;
  /** The check or certificate row that disagrees with its events. */
  row?: { table: 'certification_check' | 'certification_certificate'; id: string };
  problem: string;
}

export interface AuditChainReport {
  ok: boolean;
  /** How many events were checked. */
  events: number;
  head: { sequence: number; hash: string };
  /** The first broken link; absent when the chain is intact. */
  brokenAt?: AuditChainBreak;
}

interface StoredEvent {
  sequence: string;
  occurred_at: Date | string;
  actor: AuditActor;
  action: string;
  subject: string;
  payload: Record<string, unknown>;
  previous_hash: string;
  hash: string;
}

/**
 * Walks the whole audit chain in sequence order, in one consistent snapshot, and reports the first
 * broken link: a gap in the sequence (an event removed), a previous hash that does not match (events
 * removed, inserted or reordered), an event whose content no longer gives its hash (altered), or a
 * chain that ends before the head records (events removed from the end). An intact chain is then
 * compared with the rows it records: every check and certificate must be exactly what its events say
 * (a check's outcome, a certificate's JWS, its revocation), and no event's row may be missing.
 */
export async function verifyAuditChain(
  db: Kysely<Database>,
  options: { /** Events read per statement. Default 1000. */ pageSize?: number } = {},
): Promise<AuditChainReport> {
  const pageSize = options.pageSize ?? 1000;
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      const { rows: heads } = await sql<{ sequence: string; hash: string }>`
        select sequence::text as sequence, hash from audit_chain_head where singleton`.execute(trx);
      const headRow = heads[0];
      if (!headRow) throw new Error('audit_chain_head has no row; the audit-chain migration did not run');
      const head = { sequence: Number(headRow.sequence), hash: headRow.hash };

      let expected = 1;
      let previousHash = GENESIS_HASH;
      let checked = 0;
      const broken = (b: AuditChainBreak): AuditChainReport => ({
        ok: false,
        events: checked,
        head,
        brokenAt: b,
      });
      for (;;) {
        const { rows } = await sql<StoredEvent>`
          select sequence::text as sequence, occurred_at, actor, action, subject, payload, previous_hash, hash
          from audit_event e where e.sequence >= ${expected}
          -- e.sequence, not the text alias: the order must be numeric.
          order by e.sequence limit ${pageSize}`.execute(trx);
        const inexact = await inexactEvents(trx, rows);
        for (const row of rows) {
          const sequence = Number(row.sequence);
          if (sequence !== expected) {
            return broken({
              sequence,
              problem: `event ${sequence} follows event ${expected - 1}: ${sequence - expected === 1 ? `event ${expected} is` : `events ${expected} to ${sequence - 1} are`} missing`,
            });
          }
          if (row.previous_hash !== previousHash) {
            return broken({
              sequence,
              problem: `event ${sequence} names previous hash ${row.previous_hash}, but the event before it hashes to ${previousHash}: events were removed, inserted or reordered`,
            });
          }
          if (inexact.has(row.sequence)) {
            return broken({
              sequence,
              problem: `event ${sequence} (${row.action} ${row.subject}) was altered: it holds a number finer than a double or a time finer than a millisecond, which the catalogue never writes`,
            });
          }
          const event: Omit<AuditEvent, 'hash'> = {
            sequence,
            occurredAt: new Date(row.occurred_at),
            actor: row.actor,
            action: row.action,
            subject: row.subject,
            payload: row.payload,
            previousHash: row.previous_hash,
          };
          const recomputed = auditEventHash(event);
          if (recomputed !== row.hash) {
            return broken({
              sequence,
              problem: `event ${sequence} (${row.action} ${row.subject}) was altered: its content hashes to ${recomputed}, but it records ${row.hash}`,
            });
          }
          previousHash = row.hash;
          expected = sequence + 1;
          checked++;
        }
        if (rows.length < pageSize) break;
      }
      const last = expected - 1;
      if (last !== head.sequence || previousHash !== head.hash) {
        return broken({
          sequence: Math.max(last + 1, 1),
          problem:
            last < head.sequence
              ? `the chain ends at event ${last}, but its head records event ${head.sequence}: events ${last + 1} to ${head.sequence} were removed`
              : `the chain ends at event ${last} (hash ${previousHash}), but its head records event ${head.sequence} (hash ${head.hash})`,
        });
      }
      const row = (await checkRowsAgainstEvents(trx)) ?? (await certificateRowsAgainstEvents(trx));
      if (row) return broken(row);
      return { ok: true, events: checked, head };
    });
}

/**
 * The events of `rows` whose stored values are not exactly what was read: the hash is computed over
 * the values as JavaScript reads them, and the driver rounds a jsonb number to a double and a
 * timestamp to the millisecond, so an edit below that precision (100 to 100.00000000000000000001,
 * a time moved by 0.9 ms) hashed as before and went unnoticed. The catalogue writes exactly such
 * values; PostgreSQL compares the stored ones with them (jsonb numbers by value).
 */
async function inexactEvents(trx: Kysely<Database>, rows: readonly StoredEvent[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const read = rows.map((r) => ({ sequence: r.sequence, actor: r.actor, payload: r.payload }));
  const { rows: found } = await sql<{ sequence: string }>`
    select e.sequence::text as sequence
    from jsonb_to_recordset(${JSON.stringify(read)}::jsonb) as v (sequence bigint, actor jsonb, payload jsonb)
    join audit_event e on e.sequence = v.sequence
    where e.actor <> v.actor or e.payload <> v.payload
       or e.occurred_at <> date_trunc('milliseconds', e.occurred_at)`.execute(trx);
  return new Set(found.map((r) => r.sequence));
}

type RowTable = NonNullable<AuditChainBreak['row']>['table'];

/** A row and the event that records it, where they disagree (a full join: either may be missing). */
interface Mismatch {
  /** The row's id, or the id the event records. */
  id: string;
  /** The event names a row that is not there. */
  missing: boolean;
  sequence: string | null;
  subject: string | null;
  /** The row's columns that differ from what the event records. */
  differs: string[];
}

function mismatchBreak(table: RowTable, action: string, m: Mismatch): AuditChainBreak {
  const sequence = m.sequence === null ? null : Number(m.sequence);
  const row = { table, id: m.id };
  if (m.missing) {
    return {
      sequence,
      row,
      problem: `event ${sequence} (${action} ${m.subject}) records ${table} ${m.id}, which is not there`,
    };
  }
  if (sequence === null) {
    return {
      sequence,
      row,
      problem: `${table} ${m.id} has no ${action} event: it was not written by the catalogue`,
    };
  }
  return {
    sequence,
    row,
    problem: `${table} ${m.id} does not match event ${sequence} (${action} ${m.subject}): ${m.differs.join(', ')} ${m.differs.length === 1 ? 'differs' : 'differ'}`,
  };
}

/**
 * The first event of `action` for each record its payload names under `idKey` (`record_id`), with
 * its sequence, subject, actor and payload: what the record's row is compared with.
 */
function firstEventPerRecord(action: string, idKey: string) {
  const id = sql`e.payload->>${sql.lit(idKey)}`;
  return sql`
      select distinct on (${id}) ${id} as record_id, e.sequence, e.subject, e.actor, e.payload
      from audit_event e
      where e.action = ${sql.lit(action)} and ${id} is not null
      order by ${id}, e.sequence`;
}

/**
 * The first check that differs from its `check.recorded` event (or has none), or the first such event
 * whose check is gone. Compared in SQL, so that times count to the microsecond.
 */
async function checkRowsAgainstEvents(trx: Kysely<Database>): Promise<AuditChainBreak | undefined> {
  const { rows } = await sql<Mismatch>`
    with recorded as (${firstEventPerRecord('check.recorded', 'checkId')}),
    compared as (
      select coalesce(c.id::text, r.record_id) as id, c.id is null as missing, r.sequence, r.subject,
        array_remove(array[
        case when r.subject is distinct from 'service:' || c.service_id then 'service_id' end,
        case when r.payload->'criterion' is distinct from to_jsonb(c.criterion_id) then 'criterion_id' end,
        case when r.payload->'criterionVersion' is distinct from to_jsonb(c.criterion_version)
          then 'criterion_version' end,
        case when r.payload->'outcome' is distinct from to_jsonb(c.outcome) then 'outcome' end,
        case when r.payload->'contentHash' is distinct from to_jsonb(c.content_hash) then 'content_hash' end,
        case when r.payload->'evidenceUrl' is distinct from to_jsonb(c.evidence_url) then 'evidence_url' end,
        case when r.payload->'evidenceSha256' is distinct from to_jsonb(c.evidence_sha256)
          then 'evidence_sha256' end,
        case when (r.payload->>'checkedAt')::timestamptz is distinct from c.checked_at then 'checked_at' end,
        case when (r.payload->>'validUntil')::timestamptz is distinct from c.valid_until then 'valid_until' end,
        case when r.actor->>'subject' is distinct from c.checked_by_subject then 'checked_by_subject' end,
        case when r.actor->>'organisation' is distinct from c.checked_by_organisation
          then 'checked_by_organisation' end
      ], null) as differs
      from certification_check c full join recorded r on r.record_id = c.id::text
    )
    select id, missing, sequence::text as sequence, subject, differs from compared
    where missing or sequence is null or cardinality(differs) > 0
    order by compared.sequence nulls last, id
    limit 1`.execute(trx);
  return rows[0] && mismatchBreak('certification_check', 'check.recorded', rows[0]);
}

/**
 * The first certificate that differs from its `certificate.issued` event (or has none), or the first
 * such event whose certificate is gone; then the first certificate that is revoked without a
 * `certificate.revoked` event, not revoked despite one, or revoked otherwise than it records.
 */
async function certificateRowsAgainstEvents(trx: Kysely<Database>): Promise<AuditChainBreak | undefined> {
  const { rows: issued } = await sql<Mismatch>`
    with issued as (${firstEventPerRecord('certificate.issued', 'certificateId')}),
    compared as (
      select coalesce(c.id::text, i.record_id) as id, c.id is null as missing, i.sequence, i.subject,
        array_remove(array[
        case when i.payload->'serviceId' is distinct from to_jsonb(c.service_id) then 'service_id' end,
        case when i.payload->'contentHash' is distinct from to_jsonb(c.content_hash) then 'content_hash' end,
        case when i.payload->'profile' is distinct from to_jsonb(c.profile_id) then 'profile_id' end,
        case when i.payload->'profileVersion' is distinct from to_jsonb(c.profile_version)
          then 'profile_version' end,
        case when i.payload->'checkIds' is distinct from (
            select coalesce(jsonb_agg(x.value->'checkId' order by x.ordinality), '[]'::jsonb)
            from jsonb_array_elements(c.checks) with ordinality x)
          then 'checks' end,
        case when (i.payload->>'issuedAt')::timestamptz is distinct from c.issued_at then 'issued_at' end,
        case when (i.payload->>'expiresAt')::timestamptz is distinct from c.expires_at then 'expires_at' end,
        case when i.payload->'kid' is distinct from to_jsonb(c.kid) then 'kid' end,
        case when i.payload->>'jwsSha256' is distinct from encode(sha256(convert_to(c.jws, 'UTF8')), 'hex')
          then 'jws' end,
        case when i.actor->>'subject' is distinct from c.issued_by_subject then 'issued_by_subject' end,
        case when i.actor->>'organisation' is distinct from c.issued_by_organisation
          then 'issued_by_organisation' end
      ], null) as differs
      from certification_certificate c full join issued i on i.record_id = c.id::text
    )
    select id, missing, sequence::text as sequence, subject, differs from compared
    where missing or sequence is null or cardinality(differs) > 0
    order by compared.sequence nulls last, id
    limit 1`.execute(trx);
  if (issued[0]) return mismatchBreak('certification_certificate', 'certificate.issued', issued[0]);

  // Every certificate has its issue event now; its revocation is in the row exactly when it is an event.
  const { rows: revoked } = await sql<Mismatch & { unrevoked: boolean }>`
    with revoked as (${firstEventPerRecord('certificate.revoked', 'certificateId')}),
    compared as (
      select c.id::text as id, false as missing, r.sequence, r.subject, array_remove(array[
        case when (r.payload->>'revokedAt')::timestamptz is distinct from c.revoked_at then 'revoked_at' end,
        case when r.payload->'reason' is distinct from to_jsonb(c.revocation_reason)
          then 'revocation_reason' end,
        case when r.actor->>'subject' is distinct from c.revoked_by_subject then 'revoked_by_subject' end
      ], null) as differs, c.revoked_at is null as unrevoked
      from certification_certificate c left join revoked r on r.record_id = c.id::text
      where c.revoked_at is not null or r.sequence is not null
    )
    select id, missing, sequence::text as sequence, subject, differs, unrevoked from compared
    where cardinality(differs) > 0
    order by compared.sequence nulls first, id
    limit 1`.execute(trx);
  const m = revoked[0];
  if (!m) return undefined;
  const row = { table: 'certification_certificate' as const, id: m.id };
  if (m.sequence === null) {
    return {
      sequence: null,
      row,
      problem: `certification_certificate ${m.id} is revoked, but no certificate.revoked event records it`,
    };
  }
  const sequence = Number(m.sequence);
  if (m.unrevoked) {
    return {
      sequence,
      row,
      problem: `certification_certificate ${m.id} is not revoked, but event ${sequence} (certificate.revoked ${m.subject}) revoked it`,
    };
  }
  return mismatchBreak('certification_certificate', 'certificate.revoked', m);
}
