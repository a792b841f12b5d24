import { sql, type Kysely } from 'kysely';
import type { Database } from '../gateway/database/database.ts';
import { auditEventHash, GENESIS_HASH, type AuditEvent } from './audit-chain.ts';
import type { AuditActor } from './schema.ts';

export interface AuditChainBreak {
  /** The sequence number of the first event that does not link up (for a cut-off tail: the head's). */
  sequence: number;
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
 * chain that ends before the head records (events removed from the end).
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
