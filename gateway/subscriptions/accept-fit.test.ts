import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeListing, publishAll } from '../../test/helpers/listings.ts';
import {
  certifyService,
  seedSubscriptionWorld,
  SUBSCRIBE,
  subscriptionTestConfig,
} from '../../test/helpers/subscription-fixtures.ts';
import { startTestServer, type TestServer } from '../../test/helpers/test-server.ts';

// Between a request and its acceptance the provider may publish a new version of the listing (and
// have it certified). Accepting checks again what subscribing required, so that no ACTIVE
// subscription holds a plan, Land or Schutzbedarf the service no longer offers.

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer({ config: subscriptionTestConfig() });
  await seedSubscriptionWorld(t.db);
});

afterAll(() => t?.close());

const ACCEPT = `mutation ($id: ID!) { acceptSubscription(id: $id) { id state } }`;
const STATE = `query ($id: ID!) { serviceSubscription(id: $id) { state } }`;
const standard = { id: 'standard', name: 'Standard', pricingModel: 'FLAT' as const, priceEur: 100 };
const premium = { id: 'premium', name: 'Premium', pricingModel: 'PER_CASE' as const, priceEur: 2 };

/** What a listing's version changes (its id is the test's). */
type Version = Omit<Parameters<typeof makeListing>[0], 'id'>;
type Request = { planId: string; schutzbedarf?: string };

async function requestThenRepublish(
  id: string,
  before: Version,
  after: Version,
  request: Request,
): Promise<string> {
  await publishAll(t.db, 'anbieter', [makeListing({ id, ...before })]);
  await certifyService(t.db, `anbieter/${id}`);
  const requested = await t.graphql(
    SUBSCRIBE,
    { serviceId: `anbieter/${id}`, key: `${id}-1`, ...request },
    { as: 'authority@stadt-kiel' },
  );
  expect(requested.errors).toBeUndefined();
  await publishAll(t.db, 'anbieter', [makeListing({ id, version: '1.1.0', ...before, ...after })]);
  await certifyService(t.db, `anbieter/${id}`);
  return requested.data!.subscribe.id as string;
}

describe('accepting checks again that the service fits the subscription', () => {
  it.each<[string, string, Version, Version, Request]>([
    [
      'SCHUTZBEDARF_NOT_SUPPORTED',
      'a HIGH request, the service now operated for NORMAL only',
      { availableIn: ['DE-SH'], schutzbedarf: 'HIGH' as const, plans: [standard] },
      { schutzbedarf: 'NORMAL' as const },
      { planId: 'standard', schutzbedarf: 'HIGH' },
    ],
    [
      'PLAN_NOT_FOUND',
      'a request for a plan the listing no longer has',
      { availableIn: ['DE-SH'], plans: [standard, premium] },
      { plans: [standard] },
      { planId: 'premium' },
    ],
    [
      'LAND_NOT_AVAILABLE',
      'a request from a Land the service is no longer available in',
      { availableIn: ['DE-SH', 'DE-HH'], plans: [standard] },
      { availableIn: ['DE-HH'] },
      { planId: 'standard' },
    ],
  ])('%s: %s is refused and stays REQUESTED', async (reason, _name, before, after, request) => {
    const id = await requestThenRepublish(`passt-${reason.toLowerCase()}`, before, after, request);
    const accepted = await t.graphql(ACCEPT, { id }, { as: 'provider@anbieter' });
    expect(accepted.errors?.[0]?.extensions).toMatchObject({
      code: 'PRECONDITION_FAILED',
      reason,
      subscriptionId: id,
    });
    const state = await t.graphql(STATE, { id }, { as: 'authority@stadt-kiel' });
    expect(state.data!.serviceSubscription.state).toBe('REQUESTED');
  });

  it('accepts when the new version still fits', async () => {
    const id = await requestThenRepublish(
      'passt-weiter',
      { availableIn: ['DE-SH'], schutzbedarf: 'HIGH', plans: [standard] },
      { schutzbedarf: 'VERY_HIGH', availableIn: ['DE-SH', 'DE-HH'] },
      { planId: 'standard', schutzbedarf: 'HIGH' },
    );
    const accepted = await t.graphql(ACCEPT, { id }, { as: 'provider@anbieter' });
    expect(accepted.errors).toBeUndefined();
    expect(accepted.data!.acceptSubscription.state).toBe('ACTIVE');
  });
});
