import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { canonicalJson } from '../../catalog-schema/canonical-json.ts';
import type { Database } from '../database/database.ts';
import { NOTIFICATION_SIGNATURE_HEADER } from '../../catalog-schema/notification-signature.ts';
import type { SubscriptionOutboxRow } from './subscription-tables.ts';
import type { SubscriptionsConfig } from './subscriptions-config.ts';

/** Signs a notification body with the catalogue's key: the value of the signature header. */
export interface NotificationSigner {
  /** The key's id (`certification_signing_key.kid`): a retired key signs no notification. */
  readonly kid: string;
  signNotification(body: Uint8Array): Promise<string>;
}

export interface DeliveryOptions {
  /** The catalogue's signer (certification/signing-keys.ts): its public keys are /.well-known/jwks.json. */
  signer: NotificationSigner;
  /** Sends the webhook request: the guarded fetch (https only, no private addresses unless allowed). */
  fetch: (url: string, init: RequestInit) => Promise<Response>;
  config: Pick<SubscriptionsConfig, 'webhookTimeoutMs' | 'retryBaseMs' | 'retryMaxMs' | 'giveUpAfterMs'>;
  /** Names this replica in the claims it makes (its host name, say); each claim adds a random part. */
  workerId: string;
  /** Outbox rows claimed and sent at once. Default 20. */
  batchSize?: number;
  /** Ends the run after the batch being sent (the replica is stopping); what is left stays due. */
  signal?: AbortSignal;
}

export interface DeliveryReport {
  delivered: number;
  retrying: number;
  dead: number;
  skipped: number;
  /** Claims this replica lost because it took longer than its lease (another replica may have sent them too). */
  lost: number;
  /**
   * The run sent nothing more because this replica's signing key was retired (a replica started with
   * another key): what is due stays due for a replica that signs with the current key.
   */
  signingKeyRetired: boolean;
}

type Claimed = SubscriptionOutboxRow & { webhook_url: string | null };

/** The wait before the next attempt after `attempts` failed ones: base·2^(attempts−1), at most max. */
export function retryDelay(
  attempts: number,
  config: Pick<SubscriptionsConfig, 'retryBaseMs' | 'retryMaxMs'>,
): number {
  return Math.min(config.retryMaxMs, config.retryBaseMs * 2 ** Math.min(Math.max(attempts - 1, 0), 40));
}

/**
 * Sends every notification that is due at `now`, batch by batch, until none is left. `now` is a
 * clock (a replica's worker passes the real one) or a fixed time (tests drive it with the time they
 * want). Each batch is claimed in one statement (`FOR UPDATE SKIP LOCKED`) that also
 * sets a lease: other replicas pass over claimed rows, and a replica that dies while sending leaves a
 * lease that expires, after which the row is claimed again. So a step is delivered at least once and
 * never by two replicas at once; receivers drop repeats by `notificationId`. Within one subscription,
 * notifications go out in the order of their steps.
 *
 * With a clock, a batch's lease counts from when it is claimed, and a failed attempt's backoff from
 * when it failed. (Counted from the start of a run that had waited on slow webhooks for longer than a
 * lease, a later claim's lease had run out before it was sent, and another replica could send the same
 * step at the same time.) What is due is fixed at the start, so that the run ends once each due row
 * was tried once.
 */
export async function deliverDue(
  db: Kysely<Database>,
  now: Date | (() => Date),
  options: DeliveryOptions,
): Promise<DeliveryReport> {
  const report: DeliveryReport = {
    delivered: 0,
    retrying: 0,
    dead: 0,
    skipped: 0,
    lost: 0,
    signingKeyRetired: false,
  };
  const batchSize = options.batchSize ?? 20;
  // A live claimer finishes (timeout included) well before its lease ends.
  const leaseMs = options.config.webhookTimeoutMs + 30_000;
  const clock = typeof now === 'function' ? now : () => now;
  const dueAt = clock();
  while (!options.signal?.aborted) {
    // Asked before every batch: a rotation while the run goes on stops it after the batch being sent.
    if (await signingKeyRetired(db, options.signer.kid)) {
      report.signingKeyRetired = true;
      break;
    }
    const claimToken = `${options.workerId}:${randomUUID()}`;
    const claimed = await claim(db, dueAt, clock(), claimToken, leaseMs, batchSize);
    const outcomes = await Promise.all(claimed.map((row) => deliverOne(db, clock, row, claimToken, options)));
    for (const outcome of outcomes) report[outcome]++;
    // A failed row is due again only after `dueAt`, and a finished one frees the next step of its
    // subscription: claiming until nothing is due ends once every due row was tried once.
    if (claimed.length === 0) break;
  }
  return report;
}

/**
 * Whether `kid` was retired. Receivers verify against every key ever published, so a retired key's
 * signature would still verify; but a retired key is one the coordination office has replaced, and
 * nothing signs with it any more (certificates neither: issue-certificate.ts).
 */
async function signingKeyRetired(db: Kysely<Database>, kid: string): Promise<boolean> {
  const key = await db
    .selectFrom('certification_signing_key')
    .select('retired_at')
    .where('kid', '=', kid)
    .executeTakeFirst();
  if (!key) throw new Error(`signing key ${kid} is not registered`);
  return key.retired_at !== null;
}

/** Claims up to `batchSize` rows due at `dueAt` whose lease (if any) has ended at `at`, for a lease from `at`. */
async function claim(
  db: Kysely<Database>,
  dueAt: Date,
  at: Date,
  claimToken: string,
  leaseMs: number,
  batchSize: number,
): Promise<Claimed[]> {
  const leaseUntil = new Date(at.getTime() + leaseMs);
  const { rows } = await sql<Claimed>`
    update subscription_outbox o
    set lease_owner = ${claimToken}, lease_until = ${leaseUntil}, attempts = o.attempts + 1, last_attempt_at = ${at}
    where o.id in (
      select c.id from subscription_outbox c
      where c.state = 'PENDING' and c.next_attempt_at <= ${dueAt}
        and (c.lease_until is null or c.lease_until <= ${at})
        and not exists (
          select 1 from subscription_outbox e
          where e.subscription_id = c.subscription_id and e.state = 'PENDING' and e.id < c.id)
      order by c.next_attempt_at, c.id
      limit ${batchSize}
      for update skip locked)
    returning o.*, (select w.url from provider_webhook w where w.provider_id = o.provider_id) as webhook_url`.execute(
    db,
  );
  return rows;
}

async function deliverOne(
  db: Kysely<Database>,
  clock: () => Date,
  row: Claimed,
  claimToken: string,
  options: DeliveryOptions,
): Promise<keyof DeliveryReport> {
  const finish = async (
    values: Record<string, unknown>,
    outcome: keyof DeliveryReport,
  ): Promise<keyof DeliveryReport> => {
    const result = await db
      .updateTable('subscription_outbox')
      .set({ ...values, lease_owner: null, lease_until: null })
      .where('id', '=', row.id)
      .where('lease_owner', '=', claimToken)
      .where('state', '=', 'PENDING')
      .executeTakeFirst();
    return result.numUpdatedRows > 0n ? outcome : 'lost';
  };

  if (!row.webhook_url) {
    return finish(
      { state: 'SKIPPED', finished_at: clock(), target_url: null, last_error: 'the provider has no webhook' },
      'skipped',
    );
  }
  const body = Buffer.from(canonicalJson(row.payload), 'utf8');
  let status: number | null = null;
  let error: string | null = null;
  try {
    const signature = await options.signer.signNotification(body);
    const response = await options.fetch(row.webhook_url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [NOTIFICATION_SIGNATURE_HEADER]: signature,
        'x-catalogue-notification-id': String(row.event_id),
        'x-catalogue-delivery-attempt': String(row.attempts),
      },
      body,
      // A redirect could lead the signed body somewhere else: it counts as a failure.
      redirect: 'manual',
      signal: AbortSignal.timeout(options.config.webhookTimeoutMs),
    });
    status = response.status;
    await response.body?.cancel().catch(() => undefined);
    if (status >= 200 && status < 300) {
      return finish(
        {
          state: 'DELIVERED',
          finished_at: clock(),
          target_url: row.webhook_url,
          last_status: status,
          last_error: null,
        },
        'delivered',
      );
    }
    error = `the webhook answered HTTP ${status}`;
  } catch (failure) {
    const cause = failure as Error & { code?: string };
    error =
      cause.name === 'TimeoutError'
        ? `no answer within ${options.config.webhookTimeoutMs} ms`
        : cause.message;
  }

  const now = clock();
  // A delivery sent again after it was given up gets a retry period of its own.
  const giveUpAt = (row.retried_at ?? row.created_at).getTime() + options.config.giveUpAfterMs;
  if (now.getTime() >= giveUpAt) {
    return finish(
      {
        state: 'DEAD',
        finished_at: now,
        target_url: row.webhook_url,
        last_status: status,
        last_error: error,
      },
      'dead',
    );
  }
  // The last attempt falls on the give-up time itself, so the 24 hours are used in full.
  const next = Math.min(now.getTime() + retryDelay(row.attempts, options.config), giveUpAt);
  return finish(
    {
      next_attempt_at: new Date(next),
      target_url: row.webhook_url,
      last_status: status,
      last_error: error?.slice(0, 1000) ?? null,
    },
    'retrying',
  );
}
