import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishListing, withdrawService } from '../catalog/publish-listing.ts';
import { makeListing } from '../../test/helpers/listings.ts';
import {
  seedSubscriptionWorld,
  SUBSCRIBE,
  subscriptionTestConfig,
} from '../../test/helpers/subscription-fixtures.ts';
import { startTestServer, type TestServer } from '../../test/helpers/test-server.ts';

let t: TestServer;
let keys = 0;
const key = () => `key-${++keys}`;

beforeAll(async () => {
  t = await startTestServer({ config: subscriptionTestConfig() });
  await seedSubscriptionWorld(t.db);
  // A listing that is certified and then withdrawn, for SERVICE_NOT_ACTIVE.
  await publishListing(t.db, {
    providerId: 'anbieter',
    listing: makeListing({ id: 'zurueckgezogen', availableIn: ['DE-SH'] }),
    source: 'PUSH',
  });
  await withdrawService(t.db, {
    serviceId: 'anbieter/zurueckgezogen',
    reason: 'Eingestellt',
    source: 'PUSH',
  });
});

afterAll(() => t?.close());

function subscribeAs(as: string, variables: Record<string, unknown>) {
  return t.graphql(
    SUBSCRIBE,
    { serviceId: 'anbieter/fachverfahren', planId: 'standard', key: key(), ...variables },
    { as },
  );
}

async function subscriptionCount(): Promise<number> {
  const row = await t.db
    .selectFrom('service_subscription')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('subscribe', () => {
  it('requests a subscription for the caller’s own organisation, recording who and when', async () => {
    const response = await subscribeAs('authority@hamburg', { key: 'hamburg-1', schutzbedarf: 'HIGH' });
    expect(response.errors).toBeUndefined();
    const subscription = response.data!.subscribe;
    expect(subscription).toMatchObject({
      state: 'REQUESTED',
      planId: 'standard',
      schutzbedarf: 'HIGH',
      idempotencyKey: 'hamburg-1',
      certificationStatus: 'CERTIFIED',
      organisation: { id: 'hamburg' },
      requested: { by: 'dev:authority@hamburg', organisation: { id: 'hamburg' } },
    });
    expect(Date.now() - Date.parse(subscription.requested.at)).toBeLessThan(60_000);
    // Requested is not re-use yet: the count moves when the provider accepts.
    expect(subscription.service.subscriberCount).toBe(0);
    const outbox = await t.db
      .selectFrom('subscription_outbox')
      .selectAll()
      .where('subscription_id', '=', subscription.id)
      .execute();
    expect(outbox).toHaveLength(1);
    expect(outbox[0]!.payload).toMatchObject({ type: 'subscription.requested', provider: 'anbieter' });
  });

  it('returns the same subscription for the same idempotency key and arguments, writing nothing', async () => {
    const first = await subscribeAs('authority@stadt-luebeck', { key: 'luebeck-1' });
    const before = await subscriptionCount();
    const again = await subscribeAs('authority@stadt-luebeck', { key: 'luebeck-1' });
    expect(again.errors).toBeUndefined();
    expect(again.data!.subscribe.id).toBe(first.data!.subscribe.id);
    expect(await subscriptionCount()).toBe(before);
  });

  it('refuses the same idempotency key with other arguments (CONFLICT, IDEMPOTENCY_KEY_REUSED)', async () => {
    const response = await subscribeAs('authority@stadt-luebeck', { key: 'luebeck-1', planId: 'premium' });
    expect(response.errors?.[0]?.extensions).toMatchObject({
      code: 'CONFLICT',
      reason: 'IDEMPOTENCY_KEY_REUSED',
    });
    const schutzbedarf = await subscribeAs('authority@stadt-luebeck', {
      key: 'luebeck-1',
      schutzbedarf: 'NORMAL',
    });
    expect(schutzbedarf.errors?.[0]?.extensions).toMatchObject({
      code: 'CONFLICT',
      reason: 'IDEMPOTENCY_KEY_REUSED',
    });
  });

  it('scopes idempotency keys to the organisation', async () => {
    const response = await subscribeAs('authority@stadt-kiel', { key: 'luebeck-1' });
    expect(response.errors).toBeUndefined();
    expect(response.data!.subscribe.organisation.id).toBe('stadt-kiel');
  });

  it('refuses a second open subscription to the same plan (CONFLICT, SUBSCRIPTION_ALREADY_OPEN)', async () => {
    const response = await subscribeAs('authority@stadt-luebeck', {});
    expect(response.errors?.[0]?.extensions).toMatchObject({
      code: 'CONFLICT',
      reason: 'SUBSCRIPTION_ALREADY_OPEN',
    });
    // Another plan of the same service is another subscription.
    const premium = await subscribeAs('authority@stadt-luebeck', { planId: 'premium' });
    expect(premium.errors).toBeUndefined();
  });

  describe('preconditions, each with its own reason (PRECONDITION_FAILED)', () => {
    const cases: [string, string, Record<string, unknown>][] = [
      ['SERVICE_NOT_ACTIVE', 'authority@stadt-kiel', { serviceId: 'anbieter/zurueckgezogen' }],
      ['SERVICE_NOT_CERTIFIED', 'authority@stadt-kiel', { serviceId: 'anbieter/ohne-zertifikat' }],
      ['PLAN_NOT_FOUND', 'authority@stadt-kiel', { planId: 'gold' }],
      ['LAND_NOT_AVAILABLE', 'authority@stadt-muenchen', {}],
      ['LAND_NOT_AVAILABLE', 'authority@ohne-land', {}],
      ['SCHUTZBEDARF_NOT_SUPPORTED', 'authority@stadt-kiel', { schutzbedarf: 'VERY_HIGH' }],
    ];
    for (const [reason, as, variables] of cases) {
      it(`${reason} for ${as} ${JSON.stringify(variables)}`, async () => {
        const before = await subscriptionCount();
        const response = await subscribeAs(as, variables);
        expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'PRECONDITION_FAILED', reason });
        expect(response.errors?.[0]?.message.length).toBeGreaterThan(20);
        expect(await subscriptionCount()).toBe(before);
      });
    }

    it('lets the same key be used again after a refused request', async () => {
      const refused = await subscribeAs('authority@stadt-kiel', {
        key: 'retry-after-refusal',
        planId: 'gold',
      });
      expect(refused.errors?.[0]?.extensions.reason).toBe('PLAN_NOT_FOUND');
      const accepted = await subscribeAs('authority@stadt-kiel', {
        key: 'retry-after-refusal',
        planId: 'premium',
      });
      expect(accepted.errors).toBeUndefined();
    });
  });

  describe('who may subscribe', () => {
    it('refuses an anonymous caller (UNAUTHENTICATED)', async () => {
      const response = await t.graphql(SUBSCRIBE, {
        serviceId: 'anbieter/fachverfahren',
        planId: 'standard',
        key: key(),
      });
      expect(response.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
    });

    it('refuses providers and coordinators (FORBIDDEN)', async () => {
      for (const as of ['provider@anbieter', 'coordinator@koordinierung']) {
        const response = await subscribeAs(as, {});
        expect(response.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
      }
    });

    it('refuses an authority role acting for a provider organisation (FORBIDDEN)', async () => {
      const response = await subscribeAs('authority@anbieter', {});
      expect(response.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
    });
  });

  describe('bad input (BAD_USER_INPUT), nothing written', () => {
    for (const badKey of ['', 'with space', 'x'.repeat(201), 'umlaut-ä']) {
      it(`idempotency key ${JSON.stringify(badKey.slice(0, 20))}`, async () => {
        const before = await subscriptionCount();
        const response = await subscribeAs('authority@stadt-kiel', { key: badKey });
        expect(response.errors?.[0]?.extensions).toMatchObject({
          code: 'BAD_USER_INPUT',
          argument: 'idempotencyKey',
        });
        expect(await subscriptionCount()).toBe(before);
      });
    }

    it('an unknown service is NOT_FOUND', async () => {
      const response = await subscribeAs('authority@stadt-kiel', { serviceId: 'anbieter/gibt-es-nicht' });
      expect(response.errors?.[0]?.extensions.code).toBe('NOT_FOUND');
    });
  });
});
