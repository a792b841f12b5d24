import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRemoteJWKSet } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  NOTIFICATION_SIGNATURE_HEADER,
  verifyNotificationSignature,
} from '../../catalog-schema/notification-signature.ts';
import { createProviderNode, type ProviderNode } from '../../services/provider-node/create-provider-node.ts';
import {
  seedSubscriptionWorld,
  SUBSCRIBE,
  subscriptionTestConfig,
} from '../../test/helpers/subscription-fixtures.ts';
import { scrapeMetrics, startTestServer, type TestServer } from '../../test/helpers/test-server.ts';
import { loadCertificateSigner } from '../../certification/signing-keys.ts';
import { deliverDue } from './deliver-due.ts';
import { validateWebhookUrl } from './provider-webhook.ts';
import { subscriptionsConfigFromEnv } from './subscriptions-config.ts';

// The delivery worker against real HTTP servers. The tests call deliverDue with the time they want;
// no test waits for a timer.
let t: TestServer;
let webhook: Webhook;
let keys = 0;
const BASE = 1000;
const MAX = 8000;
const DAY = 86_400_000;

interface Received {
  body: Buffer;
  headers: Record<string, string | string[] | undefined>;
}

/** A webhook receiver: answers each request with the next status of `answers` (then 200). */
interface Webhook {
  url: string;
  received: Received[];
  answers: number[];
  /** When set, requests wait for this promise before they are answered. */
  hold: Promise<void> | null;
  /** When set, writes the answer instead of the status of `answers` with `{}`. */
  respond: ((res: ServerResponse) => void) | null;
  server: Server;
}

async function startWebhook(): Promise<Webhook> {
  const hook: Webhook = {
    url: '',
    received: [],
    answers: [],
    hold: null,
    respond: null,
    server: createServer(),
  };
  hook.server.on('request', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      hook.received.push({ body: Buffer.concat(chunks), headers: req.headers });
      const status = hook.answers.shift() ?? 200;
      if (hook.hold) await hook.hold;
      if (hook.respond) return hook.respond(res);
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => hook.server.listen(0, '127.0.0.1', resolve));
  hook.url = `http://127.0.0.1:${(hook.server.address() as AddressInfo).port}/hook`;
  return hook;
}

const SET_WEBHOOK = `mutation ($url: String) { setSubscriptionWebhook(url: $url) { url updatedAt updatedBy } }`;
const DELIVERIES = `query ($state: [SubscriptionDeliveryState!], $providerId: ID) {
  subscriptionDeliveries(state: $state, providerId: $providerId, first: 100) {
    totalCount
    edges { node { id type state attempts lastStatus lastError targetUrl finishedAt provider { id } subscription { id } payload } }
  }
}`;

beforeAll(async () => {
  t = await startTestServer({ config: subscriptionTestConfig({ retryBaseMs: BASE, retryMaxMs: MAX }) });
  await seedSubscriptionWorld(t.db);
  webhook = await startWebhook();
  const set = await t.graphql(SET_WEBHOOK, { url: webhook.url }, { as: 'provider@anbieter' });
  expect(set.errors).toBeUndefined();
});

afterAll(async () => {
  await t?.close();
  await new Promise((resolve) => webhook?.server.close(resolve));
});

beforeEach(async () => {
  // Each test starts with nothing due: earlier tests' notifications are settled.
  await t.db
    .updateTable('subscription_outbox')
    .set({ state: 'SKIPPED' })
    .where('state', '=', 'PENDING')
    .execute();
  webhook.received.length = 0;
  webhook.answers.length = 0;
  webhook.hold = null;
  webhook.respond = null;
});

/** A new REQUESTED subscription (the organisation's open ones cancelled first); its id and the step's time. */
async function requestSubscription(organisation = 'stadt-kiel', serviceId = 'anbieter/fachverfahren') {
  const open = await t.db
    .selectFrom('service_subscription')
    .select('id')
    .where('organisation_id', '=', organisation)
    .where('state', 'in', ['REQUESTED', 'ACTIVE'])
    .execute();
  for (const { id } of open) {
    await t.graphql(
      `mutation ($id: ID!) { cancelSubscription(id: $id, reason: "Neu") { id } }`,
      { id },
      {
        as: 'coordinator@koordinierung',
      },
    );
  }
  if (open.length > 0) {
    // The cancellations' notifications are not what the tests look at.
    await t.db
      .updateTable('subscription_outbox')
      .set({ state: 'SKIPPED' })
      .where('state', '=', 'PENDING')
      .where(
        'subscription_id',
        'in',
        open.map((o) => o.id),
      )
      .execute();
  }
  const response = await t.graphql(
    SUBSCRIBE,
    { serviceId, planId: 'standard', key: `delivery-${++keys}` },
    { as: `authority@${organisation}` },
  );
  expect(response.errors).toBeUndefined();
  const id = response.data!.subscribe.id as string;
  const row = await t.db
    .selectFrom('subscription_outbox')
    .select(['created_at'])
    .where('subscription_id', '=', id)
    .executeTakeFirstOrThrow();
  return { id, createdAt: row.created_at };
}

async function outboxOf(id: string) {
  return t.db
    .selectFrom('subscription_outbox')
    .selectAll()
    .where('subscription_id', '=', id)
    .orderBy('id')
    .execute();
}

const at = (base: Date, ms: number) => new Date(base.getTime() + ms + 1);

/** A delivery run as the gateway's worker makes it, but claiming one notification at a time. */
async function deliverOneByOne(now: Date | (() => Date), signal?: AbortSignal) {
  const signer = await loadCertificateSigner(t.db, { kind: 'generate' }, t.server.config.certificateIssuer);
  return deliverDue(t.db, now, {
    signer,
    fetch,
    config: t.server.config.subscriptions,
    workerId: 'test',
    batchSize: 1,
    ...(signal && { signal }),
  });
}

describe('the webhook', () => {
  it('fails, then succeeds: retried after the backoff, signed, the same notification both times', async () => {
    const { id, createdAt } = await requestSubscription();
    webhook.answers.push(503);
    const first = await t.server.subscriptions.deliverDue(at(createdAt, 0));
    expect(first).toMatchObject({ delivered: 0, retrying: 1 });
    const [pending] = await outboxOf(id);
    expect(pending).toMatchObject({ state: 'PENDING', attempts: 1, last_status: 503 });
    expect(pending!.last_error).toContain('503');

    // Not due before the backoff has passed.
    expect(await t.server.subscriptions.deliverDue(at(createdAt, BASE / 2))).toMatchObject({
      delivered: 0,
      retrying: 0,
    });
    expect(webhook.received).toHaveLength(1);

    const second = await t.server.subscriptions.deliverDue(at(createdAt, BASE + 5));
    expect(second).toMatchObject({ delivered: 1 });
    const [delivered] = await outboxOf(id);
    expect(delivered).toMatchObject({
      state: 'DELIVERED',
      attempts: 2,
      last_status: 200,
      target_url: webhook.url,
    });

    expect(webhook.received).toHaveLength(2);
    const [a, b] = webhook.received as [Received, Received];
    expect(a.body.equals(b.body)).toBe(true);
    expect(a.headers['x-catalogue-delivery-attempt']).toBe('1');
    expect(b.headers['x-catalogue-delivery-attempt']).toBe('2');
    const body = JSON.parse(b.body.toString('utf8'));
    expect(body).toMatchObject({
      type: 'subscription.requested',
      notificationId: String(delivered!.event_id),
      provider: 'anbieter',
      subscription: { id, state: 'REQUESTED', serviceId: 'anbieter/fachverfahren', planId: 'standard' },
      step: { kind: 'REQUESTED', by: { subject: 'dev:authority@stadt-kiel', organisation: 'stadt-kiel' } },
    });
    expect(body.subscription.organisation).toMatchObject({ id: 'stadt-kiel', land: 'DE-SH' });

    // Verifiable with the catalogue's public keys, the way a provider verifies it.
    const keys = createRemoteJWKSet(new URL(`${t.url}/.well-known/jwks.json`));
    const signature = b.headers[NOTIFICATION_SIGNATURE_HEADER] as string;
    await expect(verifyNotificationSignature(b.body, signature, keys)).resolves.toMatchObject({
      alg: 'ES256',
    });
    const tampered = Buffer.from(b.body.toString('utf8').replace('stadt-kiel', 'stadt-kie1'));
    await expect(verifyNotificationSignature(tampered, signature, keys)).rejects.toMatchObject({
      code: 'SIGNATURE_INVALID',
    });
  });

  it('is delivered by a 2xx status, however large or slow the body that follows it', async () => {
    // The worker read the whole body: a 200 with a page of 100 kB failed as too large, and one whose
    // body ended after the timeout as "no answer"; both were retried until DEAD.
    const timeout = t.server.config.subscriptions.webhookTimeoutMs;
    const answers: [string, (res: ServerResponse) => void][] = [
      [
        'a large body',
        (res) => res.writeHead(200, { 'content-type': 'text/html' }).end('x'.repeat(100 * 1024)),
      ],
      [
        'a slow body',
        (res) => {
          res.writeHead(200, { 'content-type': 'text/plain' }).write('ok');
          setTimeout(() => res.end('.'), timeout + 500).unref();
        },
      ],
    ];
    for (const [name, respond] of answers) {
      webhook.respond = respond;
      const { id, createdAt } = await requestSubscription();
      const report = await t.server.subscriptions.deliverDue(at(createdAt, 0));
      expect(report, name).toMatchObject({ delivered: 1, retrying: 0 });
      expect((await outboxOf(id))[0], name).toMatchObject({
        state: 'DELIVERED',
        last_status: 200,
        last_error: null,
      });
    }
  });

  it('backs off exponentially up to the maximum, then is given up as DEAD after 24 hours and shown to coordinators', async () => {
    const { id, createdAt } = await requestSubscription();
    webhook.answers.push(...Array(100).fill(500));
    let now = at(createdAt, 0);
    const waits: number[] = [];
    for (let attempt = 1; attempt <= 6; attempt++) {
      expect(await t.server.subscriptions.deliverDue(now)).toMatchObject({ retrying: 1 });
      const [row] = await outboxOf(id);
      waits.push(row!.next_attempt_at.getTime() - now.getTime());
      now = row!.next_attempt_at;
    }
    expect(waits).toEqual([BASE, 2 * BASE, 4 * BASE, MAX, MAX, MAX]);

    // The last attempt falls on the 24 hours exactly; after it the delivery is DEAD.
    expect(await t.server.subscriptions.deliverDue(at(createdAt, DAY - MAX / 2))).toMatchObject({
      retrying: 1,
    });
    const [beforeDeadline] = await outboxOf(id);
    expect(beforeDeadline!.next_attempt_at.getTime()).toBe(createdAt.getTime() + DAY);
    expect(await t.server.subscriptions.deliverDue(new Date(createdAt.getTime() + DAY))).toMatchObject({
      dead: 1,
    });
    const [dead] = await outboxOf(id);
    expect(dead).toMatchObject({ state: 'DEAD', last_status: 500 });
    expect(await t.server.subscriptions.deliverDue(at(createdAt, 2 * DAY))).toMatchObject({
      dead: 0,
      retrying: 0,
    });

    const seen = await t.graphql(DELIVERIES, { state: ['DEAD'] }, { as: 'coordinator@koordinierung' });
    expect(seen.errors).toBeUndefined();
    const node = seen.data!.subscriptionDeliveries.edges.find((e: any) => e.node.subscription.id === id).node;
    expect(node).toMatchObject({
      type: 'subscription.requested',
      state: 'DEAD',
      lastStatus: 500,
      targetUrl: webhook.url,
      provider: { id: 'anbieter' },
    });
    expect(node.attempts).toBeGreaterThan(6);
    // The provider sees its own deliveries; nobody else's, and authorities none.
    const own = await t.graphql(DELIVERIES, { state: ['DEAD'] }, { as: 'provider@anbieter' });
    expect(own.data!.subscriptionDeliveries.totalCount).toBeGreaterThan(0);
    const other = await t.graphql(DELIVERIES, {}, { as: 'provider@anderer-anbieter' });
    expect(other.data!.subscriptionDeliveries.totalCount).toBe(0);
    const foreign = await t.graphql(
      DELIVERIES,
      { providerId: 'anbieter' },
      { as: 'provider@anderer-anbieter' },
    );
    expect(foreign.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
    const authority = await t.graphql(DELIVERIES, {}, { as: 'authority@stadt-kiel' });
    expect(authority.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
  });

  it('sends a DEAD delivery again on request: its own retry period, attempts counted anew, delivered once the webhook works', async () => {
    const { id } = await requestSubscription();
    // A step of two days ago, whose webhook failed all along.
    const twoDaysAgo = new Date(Date.now() - 2 * DAY);
    await t.db
      .updateTable('subscription_outbox')
      .set({ created_at: twoDaysAgo, next_attempt_at: twoDaysAgo })
      .where('subscription_id', '=', id)
      .execute();
    webhook.answers.push(...Array(100).fill(500));
    expect(await t.server.subscriptions.deliverDue()).toMatchObject({ dead: 1 });
    const [dead] = await outboxOf(id);
    const deliveryId = String(dead!.id);
    const RETRY = `mutation ($id: ID!) {
      retrySubscriptionDelivery(id: $id) { id state attempts nextAttemptAt finishedAt retriedAt retriedBy }
    }`;

    // Only coordinators and the provider it belongs to; others do not even learn it exists.
    const authority = await t.graphql(RETRY, { id: deliveryId }, { as: 'authority@stadt-kiel' });
    expect(authority.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
    const foreign = await t.graphql(RETRY, { id: deliveryId }, { as: 'provider@anderer-anbieter' });
    expect(foreign.errors?.[0]?.extensions.code).toBe('NOT_FOUND');
    for (const unknown of ['999999999', 'abc', '0']) {
      const response = await t.graphql(RETRY, { id: unknown }, { as: 'coordinator@koordinierung' });
      expect(response.errors?.[0]?.extensions.code).toBe('NOT_FOUND');
    }
    expect((await outboxOf(id))[0]).toMatchObject({ state: 'DEAD', retried_at: null });

    // While the provider has no webhook it would only be skipped: refused, nothing changes.
    await t.graphql(SET_WEBHOOK, { url: null }, { as: 'provider@anbieter' });
    try {
      const early = await t.graphql(RETRY, { id: deliveryId }, { as: 'provider@anbieter' });
      expect(early.errors?.[0]?.extensions).toMatchObject({
        code: 'PRECONDITION_FAILED',
        reason: 'NO_WEBHOOK',
        state: 'DEAD',
      });
      expect((await outboxOf(id))[0]).toMatchObject({ state: 'DEAD', retried_at: null });
    } finally {
      await t.graphql(SET_WEBHOOK, { url: webhook.url }, { as: 'provider@anbieter' });
    }

    const retried = await t.graphql(RETRY, { id: deliveryId }, { as: 'provider@anbieter' });
    expect(retried.errors).toBeUndefined();
    expect(retried.data!.retrySubscriptionDelivery).toMatchObject({
      id: deliveryId,
      state: 'PENDING',
      attempts: 0,
      finishedAt: null,
      retriedBy: 'dev:provider@anbieter',
    });
    const retriedAt = new Date(retried.data!.retrySubscriptionDelivery.retriedAt as string);
    expect(Math.abs(retriedAt.getTime() - Date.now())).toBeLessThan(60_000);

    // Not DEAD any more: a second retry is refused and changes nothing.
    const again = await t.graphql(RETRY, { id: deliveryId }, { as: 'coordinator@koordinierung' });
    expect(again.errors?.[0]?.extensions).toMatchObject({
      code: 'PRECONDITION_FAILED',
      reason: 'DELIVERY_NOT_DEAD',
      state: 'PENDING',
    });

    // Still failing: backoff from the base again, and not given up before its own 24 hours.
    const first = await t.server.subscriptions.deliverDue(at(retriedAt, 0));
    expect(first).toMatchObject({ retrying: 1 });
    const [afterFirst] = await outboxOf(id);
    expect(afterFirst!.next_attempt_at.getTime() - at(retriedAt, 0).getTime()).toBe(BASE);
    expect(await t.server.subscriptions.deliverDue(at(retriedAt, DAY - MAX / 2))).toMatchObject({
      retrying: 1,
    });

    // The webhook works again: delivered, once.
    webhook.answers.length = 0;
    expect(await t.server.subscriptions.deliverDue(at(retriedAt, DAY))).toMatchObject({ delivered: 1 });
    expect((await outboxOf(id))[0]).toMatchObject({ state: 'DELIVERED', last_status: 200 });
  });

  it('sends the steps of one subscription in order: a failing step holds back the next', async () => {
    const { id, createdAt } = await requestSubscription();
    webhook.answers.push(500);
    await t.server.subscriptions.deliverDue(at(createdAt, 0));
    const accept = await t.graphql(
      `mutation ($id: ID!) { acceptSubscription(id: $id) { state } }`,
      { id },
      {
        as: 'provider@anbieter',
      },
    );
    expect(accept.errors).toBeUndefined();
    // The acceptance is due, but the request before it is not yet delivered.
    expect(await t.server.subscriptions.deliverDue(at(createdAt, 10))).toMatchObject({
      delivered: 0,
      retrying: 0,
    });
    expect(await t.server.subscriptions.deliverDue(at(new Date(), BASE + 10))).toMatchObject({
      delivered: 2,
    });
    const types = webhook.received.map((r) => JSON.parse(r.body.toString('utf8')).type);
    expect(types).toEqual(['subscription.requested', 'subscription.requested', 'subscription.accepted']);
  });

  it('skips a step of a provider without webhook', async () => {
    const { id } = await requestSubscription('stadt-kiel', 'anderer-anbieter/portal');
    expect(await t.server.subscriptions.deliverDue(new Date(Date.now() + 1000))).toMatchObject({
      skipped: 1,
    });
    const [row] = await outboxOf(id);
    expect(row).toMatchObject({ state: 'SKIPPED', attempts: 1 });
    expect(webhook.received).toHaveLength(0);
  });

  it('sends a SKIPPED delivery on request once the provider has a webhook', async () => {
    const { id } = await requestSubscription('stadt-kiel', 'anderer-anbieter/portal');
    expect(await t.server.subscriptions.deliverDue(new Date(Date.now() + 1000))).toMatchObject({
      skipped: 1,
    });
    const [skipped] = await outboxOf(id);
    const RETRY = `mutation ($id: ID!) { retrySubscriptionDelivery(id: $id) { id state attempts finishedAt retriedBy } }`;
    // Still no webhook: refused, and nothing changes (it would only be skipped again).
    const early = await t.graphql(RETRY, { id: String(skipped!.id) }, { as: 'provider@anderer-anbieter' });
    expect(early.errors?.[0]?.extensions).toMatchObject({
      code: 'PRECONDITION_FAILED',
      reason: 'NO_WEBHOOK',
      state: 'SKIPPED',
      providerId: 'anderer-anbieter',
    });
    expect(early.errors?.[0]?.message).toContain('setSubscriptionWebhook');
    expect((await outboxOf(id))[0]).toEqual(skipped);
    const set = await t.graphql(SET_WEBHOOK, { url: webhook.url }, { as: 'provider@anderer-anbieter' });
    expect(set.errors).toBeUndefined();
    try {
      // Another provider's delivery stays out of reach.
      const foreign = await t.graphql(RETRY, { id: String(skipped!.id) }, { as: 'provider@anbieter' });
      expect(foreign.errors?.[0]?.extensions.code).toBe('NOT_FOUND');
      const retried = await t.graphql(
        RETRY,
        { id: String(skipped!.id) },
        { as: 'provider@anderer-anbieter' },
      );
      expect(retried.errors).toBeUndefined();
      expect(retried.data!.retrySubscriptionDelivery).toMatchObject({
        state: 'PENDING',
        attempts: 0,
        finishedAt: null,
        retriedBy: 'dev:provider@anderer-anbieter',
      });
      expect(await t.server.subscriptions.deliverDue()).toMatchObject({ delivered: 1 });
      expect(webhook.received).toHaveLength(1);
      expect(JSON.parse(webhook.received[0]!.body.toString('utf8'))).toMatchObject({
        type: 'subscription.requested',
        provider: 'anderer-anbieter',
        subscription: { id, serviceId: 'anderer-anbieter/portal' },
      });
      const [delivered] = await outboxOf(id);
      expect(delivered).toMatchObject({ state: 'DELIVERED', target_url: webhook.url });
      // Delivered: not sent again.
      const again = await t.graphql(RETRY, { id: String(skipped!.id) }, { as: 'coordinator@koordinierung' });
      expect(again.errors?.[0]?.extensions).toMatchObject({
        code: 'PRECONDITION_FAILED',
        reason: 'DELIVERY_NOT_DEAD',
        state: 'DELIVERED',
      });
    } finally {
      await t.graphql(SET_WEBHOOK, { url: null }, { as: 'provider@anderer-anbieter' });
    }
  });
});

describe('/metrics', () => {
  const scrape = () => scrapeMetrics(t.url);

  it('reports the deliveries waiting and dead, and how long the oldest due one has waited', async () => {
    const { id } = await requestSubscription();
    // Due for two minutes already: its webhook has not been tried (the tests drive the worker).
    await t.db
      .updateTable('subscription_outbox')
      .set({ next_attempt_at: new Date(Date.now() - 120_000) })
      .where('subscription_id', '=', id)
      .execute();
    const counts = await t.db
      .selectFrom('subscription_outbox')
      .select((eb) => [
        eb.fn.count<string>('id').filterWhere('state', '=', 'PENDING').as('pending'),
        eb.fn.count<string>('id').filterWhere('state', '=', 'DEAD').as('dead'),
      ])
      .executeTakeFirstOrThrow();
    const metrics = await scrape();
    expect(metrics.get('catalogue_subscription_deliveries{state="pending"}')).toBe(Number(counts.pending));
    expect(metrics.get('catalogue_subscription_deliveries{state="dead"}')).toBe(Number(counts.dead));
    expect(Number(counts.pending)).toBeGreaterThanOrEqual(1);
    const lag = metrics.get('catalogue_subscription_delivery_lag_seconds')!;
    expect(lag).toBeGreaterThanOrEqual(120);
    expect(lag).toBeLessThan(600);

    // Delivered: nothing is due any more.
    expect(await t.server.subscriptions.deliverDue()).toMatchObject({ delivered: 1 });
    expect((await scrape()).get('catalogue_subscription_delivery_lag_seconds')).toBe(0);
  });
});

describe('several replicas', () => {
  it('never send the same step at the same time', async () => {
    const subscriptions = [];
    for (const organisation of ['stadt-kiel', 'stadt-luebeck', 'hamburg']) {
      subscriptions.push(await requestSubscription(organisation));
    }
    let release!: () => void;
    webhook.hold = new Promise((resolve) => (release = resolve));
    const now = new Date(Date.now() + 1000);
    const runs = Array.from({ length: 4 }, () => t.server.subscriptions.deliverDue(now));
    // Let every run claim what it can while the webhook holds the answers back.
    while (webhook.received.length < 3) await new Promise((resolve) => setImmediate(resolve));
    release();
    const reports = await Promise.all(runs);
    expect(reports.reduce((sum, r) => sum + r.delivered, 0)).toBe(3);
    expect(webhook.received).toHaveLength(3);
    const ids = webhook.received.map((r) => JSON.parse(r.body.toString('utf8')).subscription.id);
    expect(new Set(ids)).toEqual(new Set(subscriptions.map((s) => s.id)));
  });

  it('count a later batch’s lease and backoff from its own time, not from the start of the run', async () => {
    // Counted from the start, a run that had waited on slow webhooks for longer than a lease claimed
    // rows whose lease had already run out: another replica could send them at the same time.
    const first = await requestSubscription('stadt-kiel');
    const second = await requestSubscription('stadt-luebeck');
    webhook.answers.push(500, 500);
    let release!: () => void;
    webhook.hold = new Promise((resolve) => (release = resolve));
    // The replica's worker runs on the real clock (here one second ahead, so that both are due).
    const clock = () => new Date(Date.now() + 1000);
    const now = clock();
    const run = deliverOneByOne(clock);
    while (webhook.received.length < 1) await new Promise((resolve) => setImmediate(resolve));
    // The first webhook keeps the run waiting for 1.5 s before it fails.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    webhook.hold = null;
    release();
    expect(await run).toMatchObject({ retrying: 2, lost: 0 });
    const [one] = await outboxOf(first.id);
    const [two] = await outboxOf(second.id);
    expect(one!.last_attempt_at!.getTime()).toBeGreaterThanOrEqual(now.getTime());
    expect(one!.next_attempt_at.getTime()).toBeGreaterThanOrEqual(now.getTime() + 1500 + BASE);
    expect(two!.last_attempt_at!.getTime()).toBeGreaterThanOrEqual(now.getTime() + 1500);
    expect(two!.next_attempt_at.getTime()).toBeGreaterThanOrEqual(now.getTime() + 1500 + BASE);
  });

  it('stop after the batch they are sending when the replica stops; the rest stays due', async () => {
    const first = await requestSubscription('stadt-kiel');
    const second = await requestSubscription('stadt-luebeck');
    let release!: () => void;
    webhook.hold = new Promise((resolve) => (release = resolve));
    const stopping = new AbortController();
    const run = deliverOneByOne(new Date(Date.now() + 1000), stopping.signal);
    while (webhook.received.length < 1) await new Promise((resolve) => setImmediate(resolve));
    stopping.abort();
    release();
    expect(await run).toMatchObject({ delivered: 1 });
    expect(await outboxOf(first.id)).toMatchObject([{ state: 'DELIVERED' }]);
    expect(await outboxOf(second.id)).toMatchObject([{ state: 'PENDING', attempts: 0 }]);
  });

  it('take over a claim whose lease expired (its replica died while sending)', async () => {
    const { id } = await requestSubscription();
    let release!: () => void;
    webhook.hold = new Promise((resolve) => (release = resolve));
    const now = new Date(Date.now() + 1000);
    // This run claims the step and then hangs on the webhook, like a replica that stopped.
    const stuck = t.server.subscriptions.deliverDue(now);
    while (webhook.received.length < 1) await new Promise((resolve) => setImmediate(resolve));
    expect(await t.server.subscriptions.deliverDue(now)).toMatchObject({ delivered: 0 });
    const lease = t.server.config.subscriptions.webhookTimeoutMs + 30_000;
    webhook.hold = null;
    expect(await t.server.subscriptions.deliverDue(new Date(now.getTime() + lease + 1))).toMatchObject({
      delivered: 1,
    });
    release();
    // The stuck run learns that its claim was taken over and records nothing.
    expect(await stuck).toMatchObject({ delivered: 0, lost: 1 });
    const [row] = await outboxOf(id);
    expect(row).toMatchObject({ state: 'DELIVERED', attempts: 2 });
  });
});

describe('the reference provider node as webhook', () => {
  let node: ProviderNode;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vc-webhook-'));
    node = createProviderNode({
      dir,
      providerId: 'anderer-anbieter',
      catalogueJwksUrl: `${t.url}/.well-known/jwks.json`,
    });
    const url = (await node.listen(0, '127.0.0.1')).replace(/graphql$/, 'notifications');
    const set = await t.graphql(SET_WEBHOOK, { url }, { as: 'provider@anderer-anbieter' });
    expect(set.errors).toBeUndefined();
  });

  afterAll(async () => {
    await node?.close();
    rmSync(dir, { recursive: true, force: true });
    await t.graphql(SET_WEBHOOK, { url: null }, { as: 'provider@anderer-anbieter' });
  });

  it('verifies and accepts the notifications', async () => {
    const { id } = await requestSubscription('hamburg', 'anderer-anbieter/portal');
    expect(await t.server.subscriptions.deliverDue(new Date(Date.now() + 1000))).toMatchObject({
      delivered: 1,
    });
    expect(node.notifications.at(-1)).toMatchObject({ type: 'subscription.requested' });
    expect((node.notifications.at(-1)!.body as any).subscription.id).toBe(id);
  });
});

describe('setSubscriptionWebhook', () => {
  it('stores the caller’s webhook, answers it, and removes it with null', async () => {
    const set = await t.graphql(
      SET_WEBHOOK,
      { url: 'https://anbieter.example/hook' },
      { as: 'provider@anbieter' },
    );
    expect(set.data!.setSubscriptionWebhook).toMatchObject({
      url: 'https://anbieter.example/hook',
      updatedBy: 'dev:provider@anbieter',
    });
    const read = await t.graphql(`{ subscriptionWebhook { url } }`, {}, { as: 'provider@anbieter' });
    expect(read.data!.subscriptionWebhook.url).toBe('https://anbieter.example/hook');
    const removed = await t.graphql(SET_WEBHOOK, { url: null }, { as: 'provider@anbieter' });
    expect(removed.data!.setSubscriptionWebhook).toBeNull();
    expect(
      (await t.graphql(`{ subscriptionWebhook { url } }`, {}, { as: 'provider@anbieter' })).data!
        .subscriptionWebhook,
    ).toBeNull();
    await t.graphql(SET_WEBHOOK, { url: webhook.url }, { as: 'provider@anbieter' });
  });

  for (const url of [
    'nicht eine URL',
    'ftp://anbieter.example/hook',
    'https://nutzer:passwort@anbieter.example/hook',
    'https://anbieter.example/hook#fragment',
    'http://10.0.0.7/hook',
    'http://169.254.169.254/latest/meta-data',
    `https://anbieter.example/${'x'.repeat(2000)}`,
    // Under 2000 characters as sent, over 5,000 once normalised (each ä becomes %C3%A4).
    `https://anbieter.example/${'ä'.repeat(1900)}`,
  ]) {
    it(`refuses ${url.slice(0, 50)} (BAD_USER_INPUT)`, async () => {
      const response = await t.graphql(SET_WEBHOOK, { url }, { as: 'provider@anbieter' });
      expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'url' });
      const stored = await t.db
        .selectFrom('provider_webhook')
        .select('url')
        .where('provider_id', '=', 'anbieter')
        .executeTakeFirst();
      expect(stored?.url).toBe(webhook.url);
    });
  }

  it('is for providers only (FORBIDDEN)', async () => {
    for (const as of ['authority@stadt-kiel', 'coordinator@koordinierung']) {
      const response = await t.graphql(SET_WEBHOOK, { url: 'https://x.example/hook' }, { as });
      expect(response.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
    }
  });
});

describe('configuration', () => {
  it('refuses values that make no sense, naming the variable', () => {
    expect(() => subscriptionsConfigFromEnv({ SUBSCRIPTION_RETRY_BASE_MS: 'soon' }, true)).toThrow(
      /SUBSCRIPTION_RETRY_BASE_MS/,
    );
    expect(() => subscriptionsConfigFromEnv({ SUBSCRIPTION_DELIVERY_INTERVAL_MS: '-1' }, true)).toThrow(
      /SUBSCRIPTION_DELIVERY_INTERVAL_MS/,
    );
    expect(() =>
      subscriptionsConfigFromEnv(
        { SUBSCRIPTION_RETRY_BASE_MS: '5000', SUBSCRIPTION_RETRY_MAX_MS: '1000' },
        true,
      ),
    ).toThrow(/SUBSCRIPTION_RETRY_MAX_MS/);
    expect(() => subscriptionsConfigFromEnv({ OUTBOUND_ALLOWED_ADDRESSES: '10.0.0.0/33' }, true)).toThrow(
      /OUTBOUND_ALLOWED_ADDRESSES/,
    );
    expect(subscriptionsConfigFromEnv({}, false)).toMatchObject({
      deliveryIntervalMs: 5000,
      retryBaseMs: 10_000,
      retryMaxMs: 3_600_000,
      giveUpAfterMs: 86_400_000,
      webhookAllowHttp: true,
    });
  });
});

describe('in production mode', () => {
  it('a webhook must be https and may not reach loopback or private addresses unless allowed', () => {
    const rules = subscriptionsConfigFromEnv({}, true);
    expect(rules.webhookAllowHttp).toBe(false);
    const production = { allowHttp: rules.webhookAllowHttp, allowedAddresses: rules.webhookAllowedAddresses };
    expect(() => validateWebhookUrl('http://anbieter.example/hook', production)).toThrow(/must use https/);
    expect(() => validateWebhookUrl('https://127.0.0.1/hook', production)).toThrow(/loopback/);
    expect(() => validateWebhookUrl('https://[::1]/hook', production)).toThrow(/loopback/);
    expect(validateWebhookUrl('https://anbieter.example/hook', production).href).toBe(
      'https://anbieter.example/hook',
    );
    const allowed = subscriptionsConfigFromEnv({ OUTBOUND_ALLOWED_ADDRESSES: '10.0.0.0/8' }, true);
    expect(
      validateWebhookUrl('https://10.1.2.3/hook', {
        allowHttp: false,
        allowedAddresses: allowed.webhookAllowedAddresses,
      }).host,
    ).toBe('10.1.2.3');
  });
});

describe('a replica whose signing key was retired', () => {
  // Its own gateway: retiring the key of the shared one would stop every later test's deliveries.
  let own: TestServer;
  let hook: Webhook;
  let dir: string;

  beforeAll(async () => {
    own = await startTestServer({ config: subscriptionTestConfig() });
    await seedSubscriptionWorld(own.db);
    hook = await startWebhook();
    const set = await own.graphql(SET_WEBHOOK, { url: hook.url }, { as: 'provider@anbieter' });
    expect(set.errors).toBeUndefined();
    dir = mkdtempSync(join(tmpdir(), 'vc-rotated-key-'));
  });

  afterAll(async () => {
    await own?.close();
    await new Promise((resolve) => hook?.server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends nothing once another replica started with a new key; the replica with the current key sends it', async () => {
    const subscribed = await own.graphql(
      SUBSCRIBE,
      { serviceId: 'anbieter/fachverfahren', planId: 'standard', key: 'rotated-key-1' },
      { as: 'authority@stadt-kiel' },
    );
    expect(subscribed.errors).toBeUndefined();
    const id = subscribed.data!.subscribe.id as string;
    const now = new Date(Date.now() + 1000);

    const before = await own.db
      .selectFrom('certification_signing_key')
      .select('kid')
      .where('retired_at', 'is', null)
      .executeTakeFirstOrThrow();
    // Another replica starts with a key file: its key becomes current, this replica's is retired.
    const keyFile = join(dir, 'new-key.pem');
    writeFileSync(
      keyFile,
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }),
    );
    const current = await loadCertificateSigner(
      own.db,
      { kind: 'file', path: keyFile },
      own.server.config.certificateIssuer,
    );
    expect(current.kid).not.toBe(before.kid);

    expect(await own.server.subscriptions.deliverDue(now)).toMatchObject({
      delivered: 0,
      signingKeyRetired: true,
    });
    expect(hook.received).toHaveLength(0);
    const pending = await own.db
      .selectFrom('subscription_outbox')
      .select(['state', 'attempts', 'lease_owner'])
      .where('subscription_id', '=', id)
      .execute();
    expect(pending).toEqual([{ state: 'PENDING', attempts: 0, lease_owner: null }]);

    // The replica with the current key delivers it, signed with that key.
    const report = await deliverDue(own.db, now, {
      signer: current,
      fetch,
      config: own.server.config.subscriptions,
      workerId: 'current-key',
    });
    expect(report).toMatchObject({ delivered: 1, signingKeyRetired: false });
    const [received] = hook.received;
    const keys = createRemoteJWKSet(new URL(`${own.url}/.well-known/jwks.json`));
    const verified = await verifyNotificationSignature(
      received!.body,
      received!.headers[NOTIFICATION_SIGNATURE_HEADER] as string,
      keys,
    );
    expect(verified.kid).toBe(current.kid);
  });
});
