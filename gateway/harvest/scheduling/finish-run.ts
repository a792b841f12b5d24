import { sql, type Kysely } from 'kysely';
import type { Database } from '../../database/database.ts';
import { MAX_REPORTED_REJECTIONS } from '../processing/validate-changes.ts';
import { runRow, type HarvestRunRow } from '../store/harvest-tables.ts';
import type { HarvestCounts, HarvestFailureCode } from '../types.ts';
import type { ClaimedRun } from './claim-run.ts';

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

    const next = (seconds: number) =>
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
    let schedule;
    if (outcome.kind === 'applied') {
      const fullSyncDone = claim.run.mode === 'FULL' && status === 'SUCCEEDED';
      schedule = {
        watermark: outcome.asOf,
        last_harvested_at: sql<Date>`now()`,
        consecutive_failures: 0,
        circuit_open_until: null,
        next_run_at: next(endpoint.interval_seconds),
        ...(fullSyncDone && {
          last_full_sync_at: sql<Date>`now()`,
          full_sync_requested: false,
          withdrawal_allowance: 0,
          withdrawal_confirmed: null,
        }),
      };
    } else {
      // The circuit: after enough failures in a row the endpoint pauses; the first run after the pause
      // is the trial (a success closes the circuit, a failure opens it again).
      const failures = endpoint.consecutive_failures + 1;
      const open = failures >= options.circuitFailureThreshold;
      schedule = {
        consecutive_failures: failures,
        circuit_open_until: open ? next(options.circuitPauseSeconds) : null,
        next_run_at: next(open ? options.circuitPauseSeconds : endpoint.interval_seconds),
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
