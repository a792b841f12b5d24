import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../../database/database.ts';
import { MAX_REPORTED_REJECTIONS } from '../processing/validate-changes.ts';
import { runRow, type HarvestRunRow } from '../store/harvest-tables.ts';
import type { HarvestCounts, HarvestFailureCode } from '../types.ts';
import type { ClaimedRun } from './claim-run.ts';

/** A jsonb parameter: the value as JSON text, or SQL null. */
function jsonOrNull(value: unknown): string | null {
  return value == null ? null : JSON.stringify(value);
}

/** How a run ended. */
export type RunOutcome =
  | { kind: 'applied'; asOf: Date; counts: HarvestCounts }
  | { kind: 'failed'; code: HarvestFailureCode; message: string }
  | { kind: 'stopped' };

export interface FinishOptions {
  /** The scheduler's clock; the next run is due an interval after it (or after the database's now). */
  now: Date;
  circuitFailureThreshold: number;
  circuitPauseSeconds: number;
}

/**
 * Records how a run ended and schedules the endpoint's next run, releasing the claim, in one
 * transaction. A run another replica has taken over meanwhile (its lease expired) is left as that
 * replica marked it: null is returned and the endpoint is not touched.
 */
export async function finishRun(
  db: Kysely<Database>,
  claim: ClaimedRun,
  outcome: RunOutcome,
  options: FinishOptions,
): Promise<HarvestRunRow | null> {
  const { endpoint } = claim;
  return db.transaction().execute(async (trx) => {
    const counts = outcome.kind === 'applied' ? outcome.counts : null;
    const status =
      outcome.kind === 'stopped'
        ? 'ABANDONED'
        : outcome.kind === 'failed'
          ? 'FAILED'
          : counts!.heldWithdrawals
            ? 'HELD'
            : 'SUCCEEDED';
    const run = await trx
      .updateTable('harvest_run')
      .set({
        status,
        finished_at: sql<Date>`now()`,
        ...(counts && {
          fetched: counts.fetched,
          created: counts.created,
          updated: counts.updated,
          unchanged: counts.unchanged,
          withdrawn: counts.withdrawn,
          rejected: counts.rejected,
          rejections: JSON.stringify(counts.rejections.slice(0, MAX_REPORTED_REJECTIONS)),
          held_withdrawals: counts.heldWithdrawals ? JSON.stringify(counts.heldWithdrawals) : null,
        }),
        ...(outcome.kind === 'failed' && { error_code: outcome.code, error: outcome.message.slice(0, 2000) }),
        ...(outcome.kind === 'stopped' && {
          error_code: 'ABANDONED',
          error: 'the gateway stopped during the run; another run takes over at once',
        }),
      })
      .where('id', '=', claim.run.id)
      .where('status', '=', 'RUNNING')
      .returningAll()
      .executeTakeFirst();
    if (!run) return null;

    // From the scheduler's clock (or the database's, if later); the interval is the row's current
    // one, not the claimed one, so that an interval changed during the run applies to the next run.
    const next = (seconds: number | RawBuilder<number>) =>
      sql<Date>`greatest(${options.now}::timestamptz, now()) + make_interval(secs => ${seconds})`;
    const mine = trx
      .updateTable('harvest_endpoint')
      .where('provider_id', '=', endpoint.provider_id)
      .where('lease_owner', '=', claim.owner);
    const release = { lease_owner: null, lease_expires_at: null, updated_at: sql<Date>`now()` };

    if (outcome.kind === 'stopped') {
      // next_run_at stays: the run is due again for whichever replica polls next.
      await mine.set(release).execute();
      return runRow(run);
    }
    // What others changed while the run was in flight is kept. A slot someone else set meanwhile
    // (registering a shorter interval, resuming a paused endpoint, confirming a held full sync) is
    // never moved later. A full sync requested meanwhile (a coordinator confirmed a held run) was not
    // the one this run made: its request and its confirmed withdrawals stay, and it is due at once,
    // also when the confirmation left the slot as it was because this run's slot was already past
    // (then it is due now: the slot this run took cannot be run again, see harvest_run_once).
    const requestedMeanwhile = sql<boolean>`(
      (full_sync_requested and not ${endpoint.full_sync_requested}::boolean)
      or withdrawal_confirmed is distinct from ${jsonOrNull(endpoint.withdrawal_confirmed)}::jsonb)`;
    const nextRun = (at: RawBuilder<Date>) => sql<Date>`case
      when extract(epoch from next_run_at) <> ${claim.claimedNextRunAt}::numeric then least(next_run_at, ${at})
      when ${requestedMeanwhile} then least(now(), ${at})
      else ${at} end`;
    const unlessRequestedMeanwhile = <T>(cleared: RawBuilder<T>, column: string) =>
      sql<T>`case when ${requestedMeanwhile} then ${sql.ref(column)} else ${cleared} end`;
    const currentInterval = sql<number>`interval_seconds`;
    let schedule;
    if (outcome.kind === 'applied') {
      const fullSyncDone = claim.run.mode === 'FULL' && status === 'SUCCEEDED';
      schedule = {
        watermark: outcome.asOf,
        last_harvested_at: sql<Date>`now()`,
        consecutive_failures: 0,
        circuit_open_until: null,
        next_run_at: nextRun(next(currentInterval)),
        ...(fullSyncDone && {
          last_full_sync_at: sql<Date>`now()`,
          full_sync_requested: unlessRequestedMeanwhile(sql<boolean>`false`, 'full_sync_requested'),
          withdrawal_allowance: unlessRequestedMeanwhile(sql<number>`0`, 'withdrawal_allowance'),
          withdrawal_confirmed: unlessRequestedMeanwhile(sql<null>`null`, 'withdrawal_confirmed'),
        }),
      };
    } else {
      // The circuit: after enough failures in a row the endpoint pauses; the first run after the pause
      // is the trial (a success closes the circuit, a failure opens it again). An open circuit's pause
      // holds over any other change, as registering a new interval does not end it either.
      const failures = endpoint.consecutive_failures + 1;
      const open = failures >= options.circuitFailureThreshold;
      schedule = {
        consecutive_failures: failures,
        circuit_open_until: open ? next(options.circuitPauseSeconds) : null,
        next_run_at: open ? next(options.circuitPauseSeconds) : nextRun(next(currentInterval)),
      };
    }
    // The endpoint's URL changed while the run read the old one: the registration asked for a full
    // sync of the new URL, due now, from no watermark. The run's schedule and watermark belong to the
    // old URL, so they are not written over that; the claim is only released.
    const scheduled = await mine
      .where('url', '=', endpoint.url)
      .set({ ...release, ...schedule })
      .executeTakeFirst();
    if (scheduled.numUpdatedRows === 0n) await mine.set(release).execute();
    return runRow(run);
  });
}
