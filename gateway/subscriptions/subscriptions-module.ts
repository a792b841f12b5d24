import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import type { Database } from '../database/database.ts';
import type { GatewayModule } from '../gateway-module.ts';
import { createGuardedFetch } from '../http/guarded-fetch.ts';
import {
  deliverDue,
  type DeliveryOptions,
  type DeliveryReport,
  type NotificationSigner,
} from './deliver-due.ts';
import {
  checkCertificationChanges,
  recordCertificationChanges,
  type RecordedNotice,
} from './record-certification-changes.ts';
import { registerDeliveryMetrics } from './delivery-metrics.ts';
import type { SubscriptionsConfig } from './subscriptions-config.ts';

/** The subscriptions component as the gateway runs it; tests drive its work directly. */
export interface SubscriptionsModule extends GatewayModule {
  name: 'subscriptions';
  /** Sends every notification due at `now` (default: the current time). */
  deliverDue(now?: Date): Promise<DeliveryReport>;
  /** Records a notice for every open subscription whose service's certification changed. */
  checkCertificationChanges(now?: Date): Promise<RecordedNotice[]>;
}

/**
 * Builds the subscriptions module: the delivery worker and the certification check run on timers
 * while the server listens (each claims its work in PostgreSQL, so every replica may run them), and a
 * catalogue write hook records a withdrawal or a listing change for the subscribers at once.
 */
export function createSubscriptionsModule(options: {
  db: Kysely<Database>;
  config: SubscriptionsConfig;
  /** The catalogue's signing key (certification/signing-keys.ts). */
  signer: NotificationSigner;
  /** Replaces the guarded fetch (tests of the guard itself never need to). */
  fetch?: DeliveryOptions['fetch'];
}): SubscriptionsModule {
  const { db, config } = options;
  const fetch =
    options.fetch ??
    createGuardedFetch({
      allowHttp: config.webhookAllowHttp,
      allowedAddresses: config.webhookAllowedAddresses,
      timeoutMs: config.webhookTimeoutMs,
      // The status decides: a 2xx with a large or slow body is delivered, not retried.
      ignoreResponseBody: true,
      maxRedirects: 0,
      userAgent: 'verwaltungscloud-catalogue subscription-notifications',
    });
  const workerId = `${hostname()}:${process.pid}`;

  // Stopping the replica ends a delivery run after the batch it is sending, not after the backlog.
  let stopping = new AbortController();
  // Said once when this replica's key is found retired, and once when it signs again.
  let retiredKeyReported = false;
  const deliver = async (now?: Date) => {
    const report = await deliverDue(db, now ?? (() => new Date()), {
      signer: options.signer,
      fetch,
      config,
      workerId,
      signal: stopping.signal,
    });
    if (report.signingKeyRetired !== retiredKeyReported) {
      retiredKeyReported = report.signingKeyRetired;
      console.warn(
        report.signingKeyRetired
          ? `subscription delivery: this replica's signing key ${options.signer.kid} was retired (a replica started with another key); it sends no notifications until it is restarted with the current key, and replicas with the current key send them`
          : `subscription delivery: signing key ${options.signer.kid} is current again; this replica sends notifications`,
      );
    }
    return report;
  };
  const check = (now = new Date()) => checkCertificationChanges(db, now);

  const loops: Loop[] = [];
  return {
    name: 'subscriptions',
    catalogWriteHooks: {
      afterWrites: async (trx, events) => {
        const serviceIds = [...new Set(events.map((event) => event.service.id))];
        await recordCertificationChanges(trx, { serviceIds, lock: 'wait' });
      },
      afterCertificateRevoked: async (trx, certificate) => {
        await recordCertificationChanges(trx, { serviceIds: [certificate.service_id], lock: 'wait' });
      },
    },
    registerMetrics: (registry) => registerDeliveryMetrics(registry, db),
    deliverDue: deliver,
    checkCertificationChanges: check,
    async start() {
      stopping = new AbortController();
      if (config.deliveryIntervalMs > 0)
        loops.push(startLoop('subscription delivery', config.deliveryIntervalMs, deliver));
      if (config.certificationCheckIntervalMs > 0)
        loops.push(startLoop('subscription certification check', config.certificationCheckIntervalMs, check));
    },
    async stop() {
      stopping.abort();
      await Promise.all(loops.splice(0).map((loop) => loop.stop()));
    },
  };
}

interface Loop {
  stop(): Promise<void>;
}

/** Runs `work` `intervalMs` after start and after each run ended; a failed run is logged and retried next time. */
function startLoop(name: string, intervalMs: number, work: () => Promise<unknown>): Loop {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const tick = () => {
    running = work()
      .then(
        () => undefined,
        (error: unknown) => console.error(`${name} failed:`, error),
      )
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  // The first run comes one interval after start, like every later one: a replica that has just
  // started is not yet needed for the backlog, and tests can start a gateway whose worker stays idle.
  timer = setTimeout(tick, intervalMs);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
