import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  seedSubscriptionWorld,
  SUBSCRIBE,
  SUBSCRIPTION_FIELDS,
  subscriptionTestConfig,
} from '../../test/helpers/subscription-fixtures.ts';
import { TEST_DIALECT } from '../../test/helpers/test-database.ts';
import { changesHeard, startTestServer, type TestServer } from '../../test/helpers/test-server.ts';

// A subscription's history ("every step and every notice, oldest first") must read in time order:
// a withdrawal that took effect after an acceptance (the acceptance saw the service ACTIVE, the
// withdrawal's write hook recorded its notice on the then ACTIVE subscription) must not be stamped
// before it (a transaction that waited for a lock dates what it records after the lock was held).
// Needs real PostgreSQL: embedded PostgreSQL runs one transaction at a time.
let t: TestServer;

beforeAll(async () => {
  t = await startTestServer({ config: subscriptionTestConfig() });
  await seedSubscriptionWorld(t.db);
});

afterAll(() => t?.close());

const ACCEPT = `mutation ($id: ID!) { acceptSubscription(id: $id) { id state accepted { at } } }`;
const WITHDRAW = `mutation { withdrawService(id: "anbieter/fachverfahren", reason: "Eingestellt") { status } }`;
const ONE = `query ($id: ID!) { serviceSubscription(id: $id) { ${SUBSCRIPTION_FIELDS} } }`;

async function waitForBlockedWithdrawal(): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from pg_stat_activity
      where datname = current_database() and wait_event_type = 'Lock' and query ilike '%for update%'`.execute(
      t.db,
    );
    if (rows[0]!.n > 0) return;
    if (Date.now() > deadline) throw new Error('the withdrawal never waited for the service row');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.runIf(TEST_DIALECT === 'postgres')('a subscription history in time order (PostgreSQL)', () => {
  it('stamps a withdrawal notice that follows an acceptance no earlier than the acceptance', async () => {
    const subscribed = await t.graphql(
      SUBSCRIBE,
      { serviceId: 'anbieter/fachverfahren', planId: 'standard', key: 'time-order-1' },
      { as: 'authority@stadt-kiel' },
    );
    expect(subscribed.errors).toBeUndefined();
    const id = subscribed.data!.subscribe.id as string;

    // Something else holds the service row for a moment (a harvest batch, a certification check):
    // the withdrawal starts and waits for it.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const lockTaken = new Promise<void>((resolve) => (locked = resolve));
    const holder = t.db.transaction().execute(async (trx) => {
      await sql`select id from service where id = 'anbieter/fachverfahren' for update`.execute(trx);
      locked();
      await released;
    });
    await lockTaken;
    const withdrawal = t.graphql(WITHDRAW, {}, { as: 'provider@anbieter' });
    await waitForBlockedWithdrawal();
    await new Promise((r) => setTimeout(r, 50));

    // Meanwhile the provider accepts: the service is still ACTIVE, so this is legal and commits.
    const accepted = await t.graphql(ACCEPT, { id }, { as: 'provider@anbieter' });
    expect(accepted.errors).toBeUndefined();

    release();
    await holder;
    const withdrawn = await withdrawal;
    expect(withdrawn.errors).toBeUndefined();

    await changesHeard(t);
    const view = await t.graphql(ONE, { id }, { as: 'authority@stadt-kiel' });
    expect(view.errors).toBeUndefined();
    const events = view.data!.serviceSubscription.events as { kind: string; at: string }[];
    expect(events.map((e) => e.kind)).toEqual(['REQUESTED', 'ACCEPTED', 'SERVICE_WITHDRAWN']);
    const acceptedAt = Date.parse(events[1]!.at);
    const withdrawnAt = Date.parse(events[2]!.at);
    // The notice was recorded after the acceptance committed: it may not claim an earlier time.
    expect(withdrawnAt).toBeGreaterThanOrEqual(acceptedAt);
  });
});
