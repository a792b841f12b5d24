import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SUBSCRIBE,
  seedSubscriptionWorld,
  subscriptionTestConfig,
} from '../../../test/helpers/subscription-fixtures.ts';
import {
  askCached,
  changesHeard,
  startTestServer,
  type CachedAnswer,
  type TestServer,
} from '../../../test/helpers/test-server.ts';
import { observeStatements } from '../../database/statement-counter.ts';
import { watchedTables } from './catalog-change-feed.ts';

// A cached answer is dropped exactly when a table its SQL read changes: never kept past a change to
// what it was read from, and not dropped for the bookkeeping of unrelated tables (a harvest's lease,
// a delivery attempt). Each operation's statements are observed as the database receives them, so
// a read that bypassed the request's own database view would show up here as a missed table.
let t: TestServer;
let watched: Set<string>;

const OPERATIONS: { name: string; query: string; as?: string }[] = [
  {
    name: 'public search with facets, providers and certification',
    query: `{ services(search: "Fachverfahren", first: 5) {
      totalCount
      facets { themenfeld { value count } provider { value label count } land { value count } }
      edges { node { id title provider { name } certification { status } } } } }`,
  },
  {
    name: 'public detail',
    query: `{ service(id: "anbieter/fachverfahren") {
      id title provider { name serviceCount } ozgLeistungen { id name } plans { id }
      certification { status validUntil profile { id } } subscriberCount } }`,
  },
  { name: 'providers', query: `{ providers { id name serviceCount } }` },
  { name: 'one provider', query: `{ provider(id: "anbieter") { id name kind serviceCount land { name } } }` },
  {
    name: 'OZG-Leistungen with their services',
    query: `{ ozgLeistungen(search: "Wohngeld") { id services { id } } }`,
  },
  { name: 'one OZG-Leistung', query: `{ ozgLeistung(id: "10000") { id name services { id title } } }` },
  { name: 'certification profiles', query: `{ certificationProfiles { id version title } }` },
  { name: 'certification criteria', query: `{ certificationCriteria { id version title } }` },
  {
    name: "a service's certification checks, as a coordinator",
    query: `{ certificationChecks(serviceId: "anbieter/fachverfahren") { id outcome current criterion { id } } }`,
    as: 'coordinator@koordinierung',
  },
  {
    name: 'authorities, as a coordinator',
    query: `{ organisations(kind: AUTHORITY) { id name land { name } } }`,
    as: 'coordinator@koordinierung',
  },
  {
    name: 'harvest endpoints, as a coordinator',
    query: `{ harvestEndpoints { provider { id } url nextRunAt lastHarvestedAt } }`,
    as: 'coordinator@koordinierung',
  },
  {
    name: "an authority's subscriptions",
    query: `{ serviceSubscriptions { totalCount edges { node { id state service { id title } } } } }`,
    as: 'authority@stadt-kiel',
  },
  {
    name: 'webhook notifications, as a coordinator',
    query: `{ subscriptionDeliveries { totalCount edges { node { id state attempts provider { id } } } } }`,
    as: 'coordinator@koordinierung',
  },
  {
    name: "a provider's webhook",
    query: `{ subscriptionWebhook { url updatedAt } }`,
    as: 'provider@anbieter',
  },
];

/** The watched tables the SQL statements sent while `run` runs name (the request runs alone). */
async function tablesSentDuring(run: () => Promise<unknown>): Promise<Set<string>> {
  const named = new Set<string>();
  const stop = observeStatements((statement) => {
    for (const word of statement.sql.toLowerCase().match(/[a-z_][a-z0-9_$]*/g) ?? []) {
      if (watched.has(word)) named.add(word);
    }
  });
  try {
    await run();
  } finally {
    stop();
  }
  return named;
}

beforeAll(async () => {
  t = await startTestServer({
    config: { ...subscriptionTestConfig() },
    env: { HARVEST_POLL_INTERVAL_MS: '0' },
  });
  await seedSubscriptionWorld(t.db);
  const subscribed = await t.graphql(
    SUBSCRIBE,
    { serviceId: 'anbieter/fachverfahren', planId: 'standard', key: 'tables-read-1' },
    { as: 'authority@stadt-kiel' },
  );
  expect(subscribed.errors).toBeUndefined();
  watched = await watchedTables(t.db);
});

afterAll(() => t?.close());

describe('per-table invalidation of the response cache', () => {
  it('watches the catalogue, certification, harvest and subscription tables', () => {
    for (const table of ['service', 'organisation', 'harvest_endpoint', 'subscription_outbox']) {
      expect(watched).toContain(table);
    }
  });

  it.each(OPERATIONS)('drops $name exactly when a table it read changes', async ({ query, as }) => {
    await changesHeard(t); // what the setup wrote is heard before the first answer is read
    let first: CachedAnswer | undefined;
    const read = await tablesSentDuring(async () => (first = await askCached(t, query, {}, as)));
    expect(first!.body.errors).toBeUndefined();
    expect(first!.cache).toBe('miss');
    expect(read.size).toBeGreaterThan(0);
    expect((await askCached(t, query, {}, as)).cache).toBe('hit');
    const kept: string[] = [];
    for (const table of watched) {
      await changesHeard(t, table);
      const after = await askCached(t, query, {}, as);
      if (read.has(table)) {
        expect(after.cache, `after a change to ${table}, which it read`).toBe('miss');
        expect((await askCached(t, query, {}, as)).cache).toBe('hit');
      } else {
        expect(after.cache, `after a change to ${table}, which it did not read`).toBe('hit');
        kept.push(table);
      }
    }
    // A public answer survives the bookkeeping of harvests and deliveries.
    if (!as) expect(kept).toEqual(expect.arrayContaining(['harvest_endpoint', 'harvest_run']));
  });

  it('drops everything for a change to a table this replica does not know', async () => {
    const query = OPERATIONS[2]!.query;
    await askCached(t, query);
    expect((await askCached(t, query)).cache).toBe('hit');
    await changesHeard(t, 'a_table_of_a_newer_release');
    expect((await askCached(t, query)).cache).toBe('miss');
  });
});
