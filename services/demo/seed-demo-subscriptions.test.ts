import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subscriptionTestConfig } from '../../test/helpers/subscription-fixtures.ts';
import { startTestServer, type TestServer } from '../../test/helpers/test-server.ts';
import { DEMO_SUBSCRIPTIONS, seedDemoSubscriptions } from './seed-demo-subscriptions.ts';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer({ config: { ...subscriptionTestConfig(), seedDemoData: true } });
});

afterAll(() => t?.close());

describe('the demo subscriptions', () => {
  it('hold a subscription in each state, with its history, visible to the coordination office', async () => {
    const response = await t.graphql(
      `{ serviceSubscriptions(first: 100) { totalCount edges { node { state organisation { id } service { id }
           events { kind } rejected { reason } cancelled { reason } } } } }`,
      {},
      { as: 'coordinator@koordinierungsstelle' },
    );
    expect(response.errors).toBeUndefined();
    const nodes = response.data!.serviceSubscriptions.edges.map((e: any) => e.node);
    expect(nodes).toHaveLength(DEMO_SUBSCRIPTIONS.length);
    expect(new Set(nodes.map((n: any) => n.state))).toEqual(
      new Set(['REQUESTED', 'ACTIVE', 'REJECTED', 'CANCELLED']),
    );
    const cancelled = nodes.find((n: any) => n.state === 'CANCELLED');
    expect(cancelled.events.map((e: any) => e.kind)).toEqual(['REQUESTED', 'ACCEPTED', 'CANCELLED']);
    expect(cancelled.cancelled.reason).toMatch(/Haushaltsjahr/);
    expect(nodes.find((n: any) => n.state === 'REJECTED').rejected.reason).toMatch(/Fachverfahren/);
  });

  it('show the re-use on the public services', async () => {
    const response = await t.graphql(`{ service(id: "dataport/wohngeld-digital") { subscriberCount } }`);
    expect(response.data!.service.subscriberCount).toBe(2);
  });

  it('are seeded once', async () => {
    expect(await seedDemoSubscriptions(t.db)).toBe(false);
  });
});
