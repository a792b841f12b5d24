import { createHash } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import { canonicalJson } from '../catalog-schema/canonical-json.ts';
import type { Database } from '../gateway/database/database.ts';
import type { AuditActor } from './schema.ts';

/** The previous hash of the first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** The system itself as an actor (start-up work, reference data, writes without a signed-in caller). */
export const SYSTEM_ACTOR: AuditActor = { subject: 'system', organisation: null };

export interface AuditEventInput {
  actor: AuditActor;
  /** What happened, `<thing>.<past participle>`: `service.published`, `certificate.revoked`, … */
  action: string;
  /** What it happened to, `<kind>:<id>`: `service:dataport/wohngeld-digital`, `certificate:<uuid>`. */
  subject: string;
  payload: Record<string, unknown>;
}

export interface AuditEvent extends AuditEventInput {
  sequence: number;
  occurredAt: Date;
  previousHash: string;
  hash: string;
}

/**
 * The hash of one event: SHA-256 (lowercase hex) of the RFC 8785 canonical JSON of all its fields,
 * the previous event's hash included, so that changing, removing or reordering any earlier event
 * breaks every later link.
 */
export function auditEventHash(event: Omit<AuditEvent, 'hash'>): string {
  const canonical = canonicalJson({
    sequence: event.sequence,
    occurredAt: event.occurredAt.toISOString(),
    actor: event.actor,
    action: event.action,
    subject: event.subject,
    payload: event.payload,
    previousHash: event.previousHash,
  });
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

/**
 * Appends an event to the audit chain inside the caller's transaction, so the event exists exactly
 * when the change it records does. Locks the chain head row until that transaction ends: appends are
 * serialised and the chain never forks (see README.md). Call it as the last write of a transaction,
 * so the lock is held briefly and always taken after the transaction's other locks.
 */
export async function appendAuditEvent(
  trx: Transaction<Database>,
  input: AuditEventInput,
): Promise<AuditEvent> {
  const [event] = await appendAuditEvents(trx, [input]);
  return event!;
}

/**
 * Appends events to the audit chain in the given order, as `appendAuditEvent` one after the other
 * would, in two statements however many they are: the head is locked once, the links are hashed
 * here, and the events and the new head are written together. A batch publish of 1,000 listings
 * took 2,000 statements, one after the other, while it held the chain's lock.
 */
export async function appendAuditEvents(
  trx: Transaction<Database>,
  inputs: readonly AuditEventInput[],
): Promise<AuditEvent[]> {
  if (inputs.length === 0) return [];
  const { rows } = await sql<{ sequence: string; hash: string }>`
    select sequence::text as sequence, hash from audit_chain_head where singleton for update`.execute(trx);
  const head = rows[0];
  if (!head) throw new Error('audit_chain_head has no row; the audit-chain migration did not run');
  let sequence = Number(head.sequence);
  let previousHash = head.hash;
  const occurredAt = new Date();
  const events = inputs.map((input): AuditEvent => {
    // The payload is stored as jsonb and read back for verification: hash exactly what jsonb gives back.
    const payload = JSON.parse(JSON.stringify(input.payload)) as Record<string, unknown>;
    const actor: AuditActor = { subject: input.actor.subject, organisation: input.actor.organisation };
    const unhashed = {
      sequence: ++sequence,
      occurredAt,
      actor,
      action: input.action,
      subject: input.subject,
      payload,
      previousHash,
    };
    const event: AuditEvent = { ...unhashed, hash: auditEventHash(unhashed) };
    previousHash = event.hash;
    return event;
  });
  const stored = events.map((event) => ({
    sequence: event.sequence,
    occurred_at: event.occurredAt.toISOString(),
    actor: event.actor,
    action: event.action,
    subject: event.subject,
    payload: event.payload,
    previous_hash: event.previousHash,
    hash: event.hash,
  }));
  const last = events.at(-1)!;
  // One statement for the events and the new head: the head can only ever name a stored event.
  await sql`
    with appended as (
      insert into audit_event (sequence, occurred_at, actor, action, subject, payload, previous_hash, hash)
      select v.sequence, v.occurred_at, v.actor, v.action, v.subject, v.payload, v.previous_hash, v.hash
      from jsonb_to_recordset(${JSON.stringify(stored)}::jsonb) as v (
        sequence bigint, occurred_at timestamptz, actor jsonb, action text, subject text, payload jsonb,
        previous_hash text, hash text)
      order by v.sequence
      returning sequence, hash
    )
    update audit_chain_head h set sequence = appended.sequence, hash = appended.hash
    from appended where h.singleton and appended.sequence = ${last.sequence}`.execute(trx);
  return events;
}
