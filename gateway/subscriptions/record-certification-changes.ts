import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../database/database.ts';
import {
  certificationStatuses,
  type CertificationStatusCode,
} from '../../certification/certification-status.ts';
import { OPEN_STATES } from './subscription-lifecycle.ts';
import type { SubscriptionEventKind } from './subscription-tables.ts';

/** What a subscription's holder is told about: the certification status, or WITHDRAWN for a withdrawn listing. */
export type WatchedStatus = CertificationStatusCode | 'WITHDRAWN';

const NOTICE: Record<WatchedStatus, SubscriptionEventKind> = {
  CERTIFIED: 'CERTIFICATION_RESTORED',
  EXPIRED: 'CERTIFICATE_EXPIRED',
  REVOKED: 'CERTIFICATE_REVOKED',
  RECERTIFICATION_REQUIRED: 'RECERTIFICATION_REQUIRED',
  UNCERTIFIED: 'CERTIFICATION_LOST',
  WITHDRAWN: 'SERVICE_WITHDRAWN',
};

export interface RecordedNotice {
  subscriptionId: string;
  serviceId: string;
  previousStatus: string;
  status: WatchedStatus;
}

/**
 * Compares the status each open subscription's holder was last told about with the service's status
 * now, and for every difference moves the subscription's `certification_status` and records a notice
 * in its history, in the caller's transaction. A difference is recorded once: the update re-checks the
 * difference on the locked row, so a concurrent transaction that recorded it first leaves nothing to do.
 * `lock: 'skip'` (the periodic check) passes over rows another transaction holds, for the next run;
 * `lock: 'wait'` (a revocation, a withdrawal) waits for them, so a concurrent acceptance is noticed now.
 * `serviceIds` null means every service with open subscriptions.
 */
export async function recordCertificationChanges(
  trx: Transaction<Database>,
  options: { serviceIds: readonly string[] | null; lock: 'skip' | 'wait'; now?: Date },
): Promise<RecordedNotice[]> {
  // Most written services have no open subscription (every new listing): their status is not worked
  // out at all. For a publish or withdrawal this finds every subscription the statements below would:
  // subscribing holds the service's row `for share`, and those writers hold it for update until they
  // commit. (A subscription committed while a revocation is under way can miss the revocation's
  // notice with or without this step; the periodic check records it.)
  const serviceIds = await servicesWithOpenSubscriptions(trx, options.serviceIds);
  if (serviceIds.length === 0) return [];
  const statuses = await watchedStatuses(trx, serviceIds, options.now ?? new Date());
  const ids = [...statuses.keys()];
  const values = ids.map((id) => statuses.get(id)!);
  const lock = options.lock === 'skip' ? sql`for update of s skip locked` : sql`for update of s`;
  // A notice is dated when the row is locked (clock_timestamp(), not the transaction's start, now()): a
  // revocation or withdrawal that waited for a concurrent acceptance dates its notice after it.
  const { rows } = await sql<{
    id: string;
    service_id: string;
    previous: string;
    status: WatchedStatus;
    at: Date;
  }>`
    with current_status (service_id, status) as (
      select * from unnest(${ids}::text[], ${values}::text[])
    ),
    claimed as (
      select s.id, s.certification_status as previous
      from service_subscription s join current_status c on c.service_id = s.service_id
      where s.state in (${sql.join(OPEN_STATES)}) and s.certification_status <> c.status
      ${lock}
    )
    update service_subscription s
    set certification_status = c.status, certification_status_at = clock_timestamp()
    from claimed, current_status c
    where s.id = claimed.id and c.service_id = s.service_id
      and s.state in (${sql.join(OPEN_STATES)}) and s.certification_status <> c.status
    returning s.id::text as id, s.service_id, claimed.previous, c.status, s.certification_status_at as at`.execute(
    trx,
  );
  if (rows.length === 0) return [];
  await trx
    .insertInto('service_subscription_event')
    .values(
      rows.map((row) => ({
        subscription_id: row.id,
        kind: NOTICE[row.status],
        occurred_at: row.at,
        actor_subject: null,
        actor_organisation_id: null,
        reason: null,
        details: JSON.stringify({ previousStatus: row.previous, status: row.status }),
      })),
    )
    .execute();
  return rows.map((row) => ({
    subscriptionId: row.id,
    serviceId: row.service_id,
    previousStatus: row.previous,
    status: row.status,
  }));
}

/** The periodic check: one transaction over every service with open subscriptions. */
export async function checkCertificationChanges(
  db: Kysely<Database>,
  now: Date = new Date(),
): Promise<RecordedNotice[]> {
  return db
    .transaction()
    .execute((trx) => recordCertificationChanges(trx, { serviceIds: null, lock: 'skip', now }));
}

/** The services with open subscriptions, among `among` unless it is null. */
async function servicesWithOpenSubscriptions(
  trx: Transaction<Database>,
  among: readonly string[] | null,
): Promise<string[]> {
  if (among?.length === 0) return [];
  let query = trx
    .selectFrom('service_subscription')
    .select('service_id')
    .distinct()
    .where('state', 'in', OPEN_STATES);
  // One array parameter rather than one parameter per id: a batch publish names a thousand services.
  if (among) query = query.where(sql<boolean>`service_id = any(${[...among]}::text[])`);
  const rows = await query.execute();
  return rows.map((r) => r.service_id);
}

async function watchedStatuses(
  trx: Transaction<Database>,
  serviceIds: readonly string[],
  now: Date,
): Promise<Map<string, WatchedStatus>> {
  // One array parameter: the periodic check names every service with open subscriptions, which may be
  // more than the 65,535 parameters a statement can have.
  const services = await trx
    .selectFrom('service')
    .select(['id', 'status'])
    .where(sql<boolean>`id = any(${[...serviceIds]}::text[])`)
    .execute();
  const certification = await certificationStatuses(trx, serviceIds, now);
  return new Map(
    services.map((s) => [
      s.id,
      s.status === 'WITHDRAWN' ? 'WITHDRAWN' : (certification.get(s.id) ?? 'UNCERTIFIED'),
    ]),
  );
}
