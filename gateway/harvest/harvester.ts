import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import type { CatalogWriteHooks } from '../catalog/publish-listing.ts';
import type { Database } from '../database/database.ts';
import { UserError } from '../errors.ts';
import { createGuardedFetch } from '../http/guarded-fetch.ts';
import { applyChanges } from './applying/apply-changes.ts';
import { harvesterToken } from './fetching/harvester-token.ts';
import { providerEndpointReader } from './fetching/provider-endpoint-reader.ts';
import type { HarvestConfig } from './harvest-config.ts';
import { validateChanges } from './processing/validate-changes.ts';
import {
  abandonExpiredRuns,
  claimDueRun,
  claimRunNow,
  renewLease,
  type ClaimedRun,
} from './scheduling/claim-run.ts';
import { finishRun, type RunOutcome } from './scheduling/finish-run.ts';
import { runsById } from './store/harvest-runs.ts';
import type { HarvestRunRow } from './store/harvest-tables.ts';
import { HarvestFailure, type EndpointReader } from './types.ts';

/** Runs harvests: the scheduled ones due now, and single ones on request. */
export interface Harvester {
  readonly config: HarvestConfig;
  /** Who this harvester claims runs as (host, process, random suffix). */
  readonly owner: string;
  /**
   * Claims and runs every endpoint due at `now` (`concurrency` at a time) and returns the finished
   * runs. Tests call it with a chosen `now` instead of waiting for the scheduler.
   */
  harvestDue(now?: Date): Promise<HarvestRunRow[]>;
  /** Runs one endpoint now; CONFLICT when another run of it is in progress. */
  harvestNow(providerId: string, options?: { fullSync?: boolean }): Promise<HarvestRunRow>;
  /** Stops: no new claims; runs in flight are aborted and given back (ABANDONED, due again at once). */
  stop(): Promise<void>;
}

export interface HarvesterOptions {
  db: Kysely<Database>;
  /** The server's composed catalogue write hooks: harvest writes are audited and cached like push. */
  hooks: CatalogWriteHooks;
  config: HarvestConfig;
  /** Reads endpoints; default the GraphQL reader over the guarded fetch. */
  reader?: EndpointReader;
  owner?: string;
}

/** Builds the harvester: fetching → validation → applying, scheduled through claims in the database. */
export function createHarvester(options: HarvesterOptions): Harvester {
  const { db, hooks, config } = options;
  const owner = options.owner ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const fetch = createGuardedFetch({
    allowHttp: config.allowHttp,
    allowedAddresses: config.allowedAddresses,
    timeoutMs: config.requestTimeoutMs,
    maxResponseBytes: config.maxResponseBytes,
    userAgent: 'verwaltungscloud-catalogue-harvester',
  });
  const reader =
    options.reader ??
    providerEndpointReader({
      fetch,
      token: harvesterToken(config.client, fetch, config.allowHttp),
      pageSize: config.pageSize,
      maxListings: config.maxListings,
      retries: config.retries,
      retryBackoffMs: config.retryBackoffMs,
    });
  const inFlight = new Set<AbortController>();
  const busy = new Set<Promise<unknown>>();
  let stopped = false;

  async function run(claim: ClaimedRun, now: Date): Promise<HarvestRunRow> {
    const { endpoint, run } = claim;
    const controller = new AbortController();
    inFlight.add(controller);
    // Keep the claim while the run lasts; a lost claim (another replica took over) stops this run.
    const heartbeat = setInterval(
      () =>
        void renewLease(db, claim, config.leaseSeconds).then(
          (held) => held || controller.abort(new Error('the harvest claim was lost')),
          () => undefined,
        ),
      Math.max(200, (config.leaseSeconds * 1000) / 3),
    );
    let outcome: RunOutcome;
    try {
      const fetchedAt = new Date();
      const changes = await reader.read(
        { providerId: endpoint.provider_id, url: endpoint.url, requiresToken: endpoint.requires_token },
        run.mode === 'FULL' ? null : endpoint.watermark,
        controller.signal,
      );
      const counts = await applyChanges(db, validateChanges(changes), {
        providerId: endpoint.provider_id,
        endpointUrl: endpoint.url,
        fetchedAt,
        hooks,
        maxWithdrawShare: config.maxWithdrawShare,
        confirmedWithdrawals: new Set(endpoint.withdrawal_confirmed ?? []),
        runId: run.id,
        signal: controller.signal,
      });
      outcome = { kind: 'applied', asOf: changes.asOf, counts };
    } catch (error) {
      if (controller.signal.aborted) outcome = { kind: 'stopped' };
      else if (error instanceof HarvestFailure)
        outcome = { kind: 'failed', code: error.code, message: error.message };
      else {
        console.error(`harvest of ${endpoint.provider_id} (run ${run.id}) failed:`, error);
        outcome = {
          kind: 'failed',
          code: 'INTERNAL',
          message: 'the gateway failed while applying the harvest',
        };
      }
    } finally {
      clearInterval(heartbeat);
      inFlight.delete(controller);
    }
    const finishOptions = {
      now,
      circuitFailureThreshold: config.circuitFailureThreshold,
      circuitPauseSeconds: config.circuitPauseSeconds,
    };
    let finished;
    try {
      finished = await finishRun(db, claim, outcome, finishOptions);
    } catch (error) {
      // The run's report could not be stored (a bug, or the database refused it): the run still
      // ends, as FAILED, rather than stay RUNNING and refuse the provider's next harvest until its
      // lease runs out. If this fails too, the lease's expiry ends it (abandonExpiredRuns).
      console.error(`harvest of ${endpoint.provider_id} (run ${run.id}): storing its outcome failed:`, error);
      finished = await finishRun(
        db,
        claim,
        { kind: 'failed', code: 'INTERNAL', message: 'the gateway failed while recording the harvest' },
        finishOptions,
      );
    }
    if (finished && (finished.status === 'FAILED' || finished.status === 'HELD')) {
      console.warn(
        `harvest of ${endpoint.provider_id} (run ${run.id}): ${finished.status}${finished.error ? `: ${finished.error}` : ''}`,
      );
    }
    // Null: another replica took the run over; report it as that replica left it.
    return finished ?? (await runsById(db, [run.id]))[0]!;
  }

  function track<T>(promise: Promise<T>): Promise<T> {
    busy.add(promise);
    void promise.finally(() => busy.delete(promise)).catch(() => undefined);
    return promise;
  }

  return {
    config,
    owner,
    harvestDue: (now = new Date()) =>
      track(
        (async () => {
          const finished: HarvestRunRow[] = [];
          await abandonExpiredRuns(db);
          const worker = async () => {
            while (!stopped) {
              const claim = await claimDueRun(db, { owner, now, leaseSeconds: config.leaseSeconds });
              if (!claim) return;
              finished.push(await run(claim, now));
            }
          };
          await Promise.all(Array.from({ length: config.concurrency }, worker));
          return finished;
        })(),
      ),
    harvestNow: (providerId, { fullSync = false } = {}) =>
      track(
        (async () => {
          if (stopped) throw new UserError('PRECONDITION_FAILED', 'The gateway is shutting down; try again.');
          const claim = await claimRunNow(db, providerId, {
            owner,
            leaseSeconds: config.leaseSeconds,
            fullSync,
          });
          if (!claim) {
            throw new UserError(
              'CONFLICT',
              `A harvest of ${providerId}'s endpoint is in progress; its report appears in the endpoint's runs.`,
              { providerId },
            );
          }
          return run(claim, new Date());
        })(),
      ),
    stop: async () => {
      stopped = true;
      for (const controller of inFlight) controller.abort(new Error('the gateway is stopping'));
      await Promise.allSettled([...busy]);
    },
  };
}
