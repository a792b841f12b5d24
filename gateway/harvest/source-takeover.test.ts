// One owner per listing while it is active: an active pushed listing is never replaced by harvest,
// an active harvested one never by push (CONFLICT). Once withdrawn, the other source may take the
// id over, as a re-publish of the withdrawn listing: numbered on, with its revision history, audit
// events and subscription notices as for any reactivation (a provider moving from push to its own
// endpoint keeps its service ids, and with them its subscriptions and certificates).
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentHash } from '../../catalog-schema/canonical-json.ts';
import type { Listing } from '../../catalog-schema/generated/listing.ts';
import { makeListing } from '../../test/helpers/listings.ts';
import { startProviderNode, type TestProviderNode } from '../../test/helpers/provider-nodes.ts';
import {
  certifyService,
  seedSubscriptionWorld,
  SUBSCRIBE,
  subscriptionTestConfig,
} from '../../test/helpers/subscription-fixtures.ts';
import {
  changesHeard,
  startTestServer,
  testConfig,
  type TestServer,
} from '../../test/helpers/test-server.ts';

const COORDINATOR = 'coordinator@koordinierung';
const PUBLISH = 'mutation ($l: JSON!) { publishService(listing: $l) { changed service { id revision } } }';
const WITHDRAW = 'mutation ($id: ID!) { withdrawService(id: $id, reason: "Umzug") { status } }';
const REGISTER = 'mutation ($i: HarvestEndpointInput!) { registerHarvestEndpoint(input: $i) { url } }';
const HARVEST_NOW = `mutation ($p: ID!) { harvestNow(providerId: $p, fullSync: true) {
  status created updated unchanged withdrawn rejected rejections { localId code message } } }`;
const SERVICE = `query ($id: ID!) { service(id: $id) {
  title status revision contentHash provenance { source endpoint } certification { status } } }`;
const EVENTS =
  'query ($id: ID!) { serviceSubscription(id: $id) { events { kind by previousStatus status } } }';

let t: TestServer;
const nodes: TestProviderNode[] = [];

beforeAll(async () => {
  t = await startTestServer({
    config: { ...subscriptionTestConfig(), harvest: { ...testConfig().harvest, pollIntervalMs: 0 } },
  });
  await seedSubscriptionWorld(t.db);
});

afterAll(async () => {
  await t?.close();
  for (const node of nodes) await node.close();
});

async function node(listings: Listing[]) {
  const started = await startProviderNode(listings);
  nodes.push(started);
  return started;
}

async function ok(query: string, variables: Record<string, unknown>, as?: string) {
  const response = await t.graphql(query, variables, as ? { as } : {});
  expect(response.errors).toBeUndefined();
  return response.data!;
}

async function harvest(providerId: string) {
  return (await ok(HARVEST_NOW, { p: providerId }, COORDINATOR)).harvestNow;
}

async function service(id: string) {
  await changesHeard(t);
  return (await ok(SERVICE, { id })).service;
}

async function revisions(id: string) {
  const { rows } = await sql<{ revision: number; source: string; content_hash: string }>`
    select revision, source, content_hash from service_revision where service_id = ${id} order by revision`.execute(
    t.db,
  );
  return rows;
}

async function audited(id: string) {
  const { rows } = await sql<{
    action: string;
    actor: { subject: string };
    payload: Record<string, unknown>;
  }>`
    select action, actor, payload from audit_event where subject = ${`service:${id}`} and action like 'service.%' order by sequence`.execute(
    t.db,
  );
  return rows.map((row) => ({
    action: row.action,
    actor: row.actor.subject,
    outcome: row.payload.outcome ?? null,
    source: row.payload.source ?? null,
  }));
}

/** An ACTIVE subscription of Kiel to the service. */
async function subscribed(serviceId: string) {
  const subscription = (
    await ok(
      SUBSCRIBE,
      { serviceId, planId: 'standard', key: `takeover-${serviceId}` },
      'authority@stadt-kiel',
    )
  ).subscribe;
  await ok(
    'mutation ($id: ID!) { acceptSubscription(id: $id) { id } }',
    { id: subscription.id },
    'provider@anbieter',
  );
  return subscription.id as string;
}

async function notices(subscriptionId: string) {
  await changesHeard(t);
  const { events } = (await ok(EVENTS, { id: subscriptionId }, 'authority@stadt-kiel')).serviceSubscription;
  return (events as { kind: string; by: unknown; status: string }[])
    .filter((event) => event.by === null)
    .map(({ kind, status }) => ({ kind, status }));
}

describe('a provider moving from push to its own endpoint', () => {
  it('keeps its pushed listings while they are active (CONFLICT); harvest takes each over once it is withdrawn', async () => {
    const moved = makeListing({ id: 'umzug', availableIn: ['DE-SH'] });
    const same = makeListing({ id: 'gleich', availableIn: ['DE-SH'] });
    for (const listing of [moved, same]) await ok(PUBLISH, { l: listing }, 'provider@anbieter');
    await certifyService(t.db, 'anbieter/umzug');
    await certifyService(t.db, 'anbieter/gleich');
    const movedSubscription = await subscribed('anbieter/umzug');
    const sameSubscription = await subscribed('anbieter/gleich');

    // The endpoint serves the one listing changed, the other as pushed.
    const served = { ...moved, title: 'Vom eigenen Knoten' };
    const endpoint = await node([served, same]);
    await ok(REGISTER, { i: { providerId: 'anbieter', url: endpoint.url } }, 'provider@anbieter');
    const refused = await harvest('anbieter');
    expect(refused).toMatchObject({ status: 'SUCCEEDED', created: 0, updated: 0, rejected: 2 });
    for (const rejection of refused.rejections) {
      expect(rejection.code).toBe('CONFLICT');
      expect(rejection.message).toContain('Withdraw or rename one of them');
    }
    expect(await service('anbieter/umzug')).toMatchObject({
      title: moved.title,
      status: 'ACTIVE',
      provenance: { source: 'PUSH' },
    });

    for (const id of ['anbieter/umzug', 'anbieter/gleich']) await ok(WITHDRAW, { id }, 'provider@anbieter');
    const takenOver = await harvest('anbieter');
    expect(takenOver).toMatchObject({
      status: 'SUCCEEDED',
      created: 0,
      updated: 2,
      rejected: 0,
      withdrawn: 0,
    });

    // Changed content: the next revision, the new content hash, to be certified again.
    expect(await service('anbieter/umzug')).toEqual({
      title: 'Vom eigenen Knoten',
      status: 'ACTIVE',
      revision: 2,
      contentHash: contentHash(served),
      provenance: { source: 'HARVEST', endpoint: endpoint.url },
      certification: { status: 'RECERTIFICATION_REQUIRED' },
    });
    expect(await revisions('anbieter/umzug')).toEqual([
      { revision: 1, source: 'PUSH', content_hash: contentHash(moved) },
      { revision: 2, source: 'HARVEST', content_hash: contentHash(served) },
    ]);
    // The same content: reactivated, no new revision, and its certificate holds again.
    expect(await service('anbieter/gleich')).toEqual({
      title: same.title,
      status: 'ACTIVE',
      revision: 1,
      contentHash: contentHash(same),
      provenance: { source: 'HARVEST', endpoint: endpoint.url },
      certification: { status: 'CERTIFIED' },
    });
    expect(await revisions('anbieter/gleich')).toEqual([
      { revision: 1, source: 'PUSH', content_hash: contentHash(same) },
    ]);

    expect(await audited('anbieter/umzug')).toEqual([
      { action: 'service.published', actor: 'dev:provider@anbieter', outcome: 'CREATED', source: 'PUSH' },
      { action: 'service.withdrawn', actor: 'dev:provider@anbieter', outcome: null, source: null },
      { action: 'service.published', actor: 'system:harvest', outcome: 'UPDATED', source: 'HARVEST' },
    ]);
    expect((await audited('anbieter/gleich')).at(-1)).toEqual({
      action: 'service.published',
      actor: 'system:harvest',
      outcome: 'REACTIVATED',
      source: 'HARVEST',
    });
    expect(await notices(movedSubscription)).toEqual([
      { kind: 'SERVICE_WITHDRAWN', status: 'WITHDRAWN' },
      { kind: 'RECERTIFICATION_REQUIRED', status: 'RECERTIFICATION_REQUIRED' },
    ]);
    expect(await notices(sameSubscription)).toEqual([
      { kind: 'SERVICE_WITHDRAWN', status: 'WITHDRAWN' },
      { kind: 'CERTIFICATION_RESTORED', status: 'CERTIFIED' },
    ]);

    // Harvested now: push may neither replace nor withdraw it.
    const pushedAgain = await t.graphql(PUBLISH, { l: moved }, { as: 'provider@anbieter' });
    expect(pushedAgain.errors?.[0]?.extensions.code).toBe('CONFLICT');
    const withdrawnAgain = await t.graphql(WITHDRAW, { id: 'anbieter/umzug' }, { as: 'provider@anbieter' });
    expect(withdrawnAgain.errors?.[0]?.extensions.code).toBe('CONFLICT');
  });
});

describe('a provider moving from its endpoint to push', () => {
  it('cannot push over an active harvested listing (CONFLICT), but over one a full harvest withdrew', async () => {
    const listings = ['eins', 'zwei', 'drei', 'rueckweg'].map((id) => makeListing({ id }));
    const endpoint = await node(listings);
    await ok(REGISTER, { i: { providerId: 'anderer-anbieter', url: endpoint.url } }, COORDINATOR);
    expect(await harvest('anderer-anbieter')).toMatchObject({ status: 'SUCCEEDED', created: 4 });

    const pushed = { ...listings[3]!, title: 'Per Push' };
    const refused = await t.graphql(PUBLISH, { l: pushed }, { as: 'provider@anderer-anbieter' });
    expect(refused.errors?.[0]?.extensions.code).toBe('CONFLICT');
    expect(refused.errors?.[0]?.message).toContain(endpoint.url);

    // The endpoint no longer serves it: the full harvest withdraws it, and push takes it over.
    endpoint.remove('rueckweg');
    expect(await harvest('anderer-anbieter')).toMatchObject({ status: 'SUCCEEDED', withdrawn: 1 });
    const published = (await ok(PUBLISH, { l: pushed }, 'provider@anderer-anbieter')).publishService;
    expect(published).toEqual({ changed: true, service: { id: 'anderer-anbieter/rueckweg', revision: 2 } });
    expect(await service('anderer-anbieter/rueckweg')).toMatchObject({
      title: 'Per Push',
      status: 'ACTIVE',
      revision: 2,
      contentHash: contentHash(pushed),
      provenance: { source: 'PUSH', endpoint: null },
    });
    expect(await revisions('anderer-anbieter/rueckweg')).toEqual([
      { revision: 1, source: 'HARVEST', content_hash: contentHash(listings[3]) },
      { revision: 2, source: 'PUSH', content_hash: contentHash(pushed) },
    ]);
    expect((await audited('anderer-anbieter/rueckweg')).at(-1)).toEqual({
      action: 'service.published',
      actor: 'dev:provider@anderer-anbieter',
      outcome: 'UPDATED',
      source: 'PUSH',
    });

    // Pushed and active now: the endpoint serving it again is refused, and a full harvest that does
    // not find it leaves it alone.
    endpoint.write(listings[3]!);
    const conflict = await harvest('anderer-anbieter');
    expect(conflict).toMatchObject({ status: 'SUCCEEDED', rejected: 1, withdrawn: 0 });
    expect(conflict.rejections[0]).toMatchObject({ localId: 'rueckweg', code: 'CONFLICT' });
    endpoint.remove('rueckweg');
    expect(await harvest('anderer-anbieter')).toMatchObject({ status: 'SUCCEEDED', withdrawn: 0 });
    expect(await service('anderer-anbieter/rueckweg')).toMatchObject({
      title: 'Per Push',
      status: 'ACTIVE',
      provenance: { source: 'PUSH' },
    });
  });
});
