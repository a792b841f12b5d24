import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  seedSubscriptionWorld,
  SUBSCRIBE,
  subscriptionTestConfig,
} from '../../test/helpers/subscription-fixtures.ts';
import { TEST_DIALECT } from '../../test/helpers/test-database.ts';
import { startTestServer, type TestServer } from '../../test/helpers/test-server.ts';

// 50 subscribe requests at once over HTTP. On PostgreSQL they run in up to 20 transactions at the same
// time (the test pool's size), so the database's unique indexes decide; PGlite is one session that
// runs the transactions one after the other, so there the test shows the same answers, not the race.
let t: TestServer;
const CALLS = 50;

beforeAll(async () => {
  t = await startTestServer({ config: subscriptionTestConfig() });
  await seedSubscriptionWorld(t.db);
});

afterAll(() => t?.close());

async function rowsOf(organisation: string) {
  const subscriptions = await t.db
    .selectFrom('service_subscription')
    .select(['id', 'state'])
    .where('organisation_id', '=', organisation)
    .execute();
  const outbox = await t.db
    .selectFrom('subscription_outbox')
    .select('id')
    .where(
      'subscription_id',
      'in',
      subscriptions.map((s) => s.id).concat('00000000-0000-4000-8000-000000000000'),
    )
    .execute();
  return { subscriptions, outbox };
}

describe(`${CALLS} concurrent subscribe calls (${TEST_DIALECT})`, () => {
  it('with one idempotency key make one subscription, and every call answers with it', async () => {
    const responses = await Promise.all(
      Array.from({ length: CALLS }, () =>
        t.graphql(
          SUBSCRIBE,
          { serviceId: 'anbieter/fachverfahren', planId: 'standard', key: 'one-key-for-all' },
          { as: 'authority@stadt-kiel' },
        ),
      ),
    );
    expect(responses.map((r) => r.errors?.[0]?.message ?? null)).toEqual(Array(CALLS).fill(null));
    const ids = new Set(responses.map((r) => r.data!.subscribe.id));
    expect(ids.size).toBe(1);
    const { subscriptions, outbox } = await rowsOf('stadt-kiel');
    expect(subscriptions).toEqual([{ id: [...ids][0], state: 'REQUESTED' }]);
    expect(outbox).toHaveLength(1);
  });

  it('with fifty keys make one open subscription and forty-nine CONFLICTs', async () => {
    const responses = await Promise.all(
      Array.from({ length: CALLS }, (_, i) =>
        t.graphql(
          SUBSCRIBE,
          { serviceId: 'anbieter/fachverfahren', planId: 'standard', key: `key-${i}` },
          { as: 'authority@stadt-luebeck' },
        ),
      ),
    );
    const succeeded = responses.filter((r) => r.errors === undefined);
    const refused = responses.filter((r) => r.errors !== undefined);
    expect(succeeded).toHaveLength(1);
    expect(refused).toHaveLength(CALLS - 1);
    for (const response of refused) {
      expect(response.errors![0]!.extensions).toMatchObject({
        code: 'CONFLICT',
        reason: 'SUBSCRIPTION_ALREADY_OPEN',
        subscriptionId: succeeded[0]!.data!.subscribe.id,
      });
    }
    const { subscriptions, outbox } = await rowsOf('stadt-luebeck');
    expect(subscriptions).toEqual([{ id: succeeded[0]!.data!.subscribe.id, state: 'REQUESTED' }]);
    expect(outbox).toHaveLength(1);
  });
});
