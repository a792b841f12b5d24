import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../../database/database.ts';
import { runRow, type HarvestEndpointRow, type HarvestRunRow } from '../store/harvest-tables.ts';
import type { HarvestMode, HarvestTrigger } from '../types.ts';

/** A run this replica holds: the endpoint row as claimed and the run row it started. */
export interface ClaimedRun {
  endpoint: HarvestEndpointRow;
  run: HarvestRunRow;
  owner: string;
  /**
   * The endpoint's next_run_at as claimed, exactly (seconds since the epoch, to the microsecond;
   * the Date in `endpoint` keeps milliseconds only): finishing compares it with the row's.
   */
  claimedNextRunAt: string;
}

/** The endpoint row a claim returns, with its next_run_at in full precision. */
type ClaimedEndpointRow = HarvestEndpointRow & { claimed_next_run_at: string };

export interface ClaimOptions {
  /** Who claims: unique per harvester instance (host, process, random). */
  owner: string;
  /** The scheduler's clock: endpoints whose next_run_at is at or before it are due. */
  now: Date;
  leaseSeconds: number;
}

/** Full sync when asked for, when there is no watermark yet, or when the last one is old enough. */
function modeFor(endpoint: HarvestEndpointRow, now: Date): HarvestMode {
  if (endpoint.full_sync_requested || !endpoint.watermark || !endpoint.last_full_sync_at) return 'FULL';
  const due = endpoint.last_full_sync_at.getTime() + endpoint.full_sync_interval_seconds * 1000;
  return due <= now.getTime() ? 'FULL' : 'INCREMENTAL';
}

const ABANDONED = {
  status: 'ABANDONED',
  finished_at: sql<Date>`now()`,
  error_code: 'ABANDONED',
  error: 'the replica running it stopped or died; its claim expired and the run was taken over',
} as const;

/**
 * Marks ABANDONED every run still RUNNING whose endpoint's lease has expired (or whose endpoint is
 * gone): its replica died or stalled. Taking an endpoint over does this too (startRun), but an
 * endpoint that was paused meanwhile is never taken over, and its run would show as running for
 * ever; so each scheduler poll sweeps. A live run renews its lease; the lease and the run are
 * written in one transaction, so a committed RUNNING run always had one.
 */
export async function abandonExpiredRuns(db: Kysely<Database>): Promise<number> {
  const result = await db
    .updateTable('harvest_run')
    .set(ABANDONED)
    .where('status', '=', 'RUNNING')
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('harvest_endpoint as e')
            .select(sql`1`.as('one'))
            .whereRef('e.provider_id', '=', 'harvest_run.provider_id')
            .where('e.lease_expires_at', '>=', sql<Date>`now()`),
        ),
      ),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

async function startRun(
  trx: Transaction<Database>,
  claimed: ClaimedEndpointRow,
  owner: string,
  trigger: HarvestTrigger,
  mode: HarvestMode,
): Promise<ClaimedRun> {
  const { claimed_next_run_at: claimedNextRunAt, ...endpoint } = claimed;
  // A run still RUNNING under an expired lease belongs to a replica that died or stalled.
  await trx
    .updateTable('harvest_run')
    .set(ABANDONED)
    .where('provider_id', '=', endpoint.provider_id)
    .where('status', '=', 'RUNNING')
    .execute();
  const run = await trx
    .insertInto('harvest_run')
    .values({
      provider_id: endpoint.provider_id,
      endpoint_url: endpoint.url,
      mode,
      trigger,
      scheduled_for: trigger === 'SCHEDULE' ? endpoint.next_run_at : null,
      status: 'RUNNING',
      claimed_by: owner,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { endpoint, run: runRow(run), owner, claimedNextRunAt };
}

/**
 * Claims one due endpoint for this replica and starts its run, in one transaction. `FOR UPDATE SKIP
 * LOCKED` lets replicas polling at the same moment pass each other instead of queueing; the lease
 * (lease_owner, lease_expires_at, on the database's clock) keeps the claim after commit, so that no
 * transaction stays open while the endpoint is read. Null when nothing is due.
 */
export async function claimDueRun(db: Kysely<Database>, options: ClaimOptions): Promise<ClaimedRun | null> {
  return db.transaction().execute(async (trx) => {
    const { rows } = await sql<ClaimedEndpointRow>`
      with due as (
        select provider_id from harvest_endpoint
        where enabled
          and next_run_at <= ${options.now}
          and (lease_expires_at is null or lease_expires_at < now())
        order by next_run_at, provider_id
        limit 1
        for update skip locked
      )
      update harvest_endpoint e
         set lease_owner = ${options.owner},
             lease_expires_at = now() + make_interval(secs => ${options.leaseSeconds})
        from due
       where e.provider_id = due.provider_id
      returning e.*, extract(epoch from e.next_run_at)::text as claimed_next_run_at`.execute(trx);
    const endpoint = rows[0];
    if (!endpoint) return null;
    return startRun(trx, endpoint, options.owner, 'SCHEDULE', modeFor(endpoint, options.now));
  });
}

/**
 * Claims one endpoint now, due or not (a provider or coordinator asked for a run). Null when another
 * run holds it.
 */
export async function claimRunNow(
  db: Kysely<Database>,
  providerId: string,
  options: Omit<ClaimOptions, 'now'> & { fullSync: boolean },
): Promise<ClaimedRun | null> {
  return db.transaction().execute(async (trx) => {
    const { rows } = await sql<ClaimedEndpointRow>`
      update harvest_endpoint
         set lease_owner = ${options.owner},
             lease_expires_at = now() + make_interval(secs => ${options.leaseSeconds})
       where provider_id = ${providerId}
         and (lease_expires_at is null or lease_expires_at < now())
      returning *, extract(epoch from next_run_at)::text as claimed_next_run_at`.execute(trx);
    const endpoint = rows[0];
    if (!endpoint) return null;
    return startRun(
      trx,
      endpoint,
      options.owner,
      'MANUAL',
      options.fullSync ? 'FULL' : modeFor(endpoint, new Date()),
    );
  });
}

/** Extends this replica's lease while its run goes on; false when the claim was lost. */
export async function renewLease(
  db: Kysely<Database>,
  claim: ClaimedRun,
  leaseSeconds: number,
): Promise<boolean> {
  const result = await db
    .updateTable('harvest_endpoint')
    .set({ lease_expires_at: sql<Date>`now() + make_interval(secs => ${leaseSeconds})` })
    .where('provider_id', '=', claim.endpoint.provider_id)
    .where('lease_owner', '=', claim.owner)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
