// A run in flight while its endpoint's schedule changes (a shorter interval, a coordinator confirming
// a held full sync, which makes that full sync due at once) keeps the change when it finishes
// (scheduling/finish-run.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Listing } from '../../catalog-schema/generated/listing.ts';
import { makeListing, registerOrganisation } from '../../test/helpers/listings.ts';
import { startFaultServer } from '../../test/helpers/provider-nodes.ts';
import { startTestServer, testConfig, type TestServer } from '../../test/helpers/test-server.ts';

const COORDINATOR = 'coordinator@koordinierung';
const RUN = 'id mode status created updated unchanged withdrawn heldWithdrawals';
const HARVEST_NOW = `mutation ($p: ID!, $full: Boolean) { harvestNow(providerId: $p, fullSync: $full) { ${RUN} } }`;
const REGISTER = `mutation ($i: HarvestEndpointInput!) { registerHarvestEndpoint(input: $i) { intervalSeconds nextRunAt } }`;
const ENDPOINT = `query ($p: ID!) { harvestEndpoint(providerId: $p) { intervalSeconds nextRunAt heldRun { id } } }`;
const CONFIRM = 'mutation ($r: ID!) { confirmHeldHarvest(runId: $r) { nextRunAt } }';
const ENABLE =
  'mutation ($p: ID!, $on: Boolean!) { setHarvestEndpointEnabled(providerId: $p, enabled: $on) { enabled } }';

let t: TestServer;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  t = await startTestServer({
    config: { harvest: { ...testConfig().harvest, pollIntervalMs: 0, retries: 0, requestTimeoutMs: 10_000 } },
  });
  await registerOrganisation(t.db, 'koordinierung', 'COORDINATOR');
});

afterAll(async () => {
  await t?.close();
  for (const close of closers.reverse()) await close();
});

/** An endpoint whose listings the test sets, and whose answer it can hold back until released. */
async function gatedEndpoint() {
  let listings: Listing[] = [];
  let gate: Promise<void> | null = null;
  let arrived = false;
  let open: () => void = () => undefined;
  const server = await startFaultServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    arrived = true;
    const answer = () =>
      res.end(
        JSON.stringify({
          data: {
            listings: {
              asOf: new Date().toISOString(),
              nodes: listings.map((l) => ({ id: l.id, document: l })),
              pageInfo: { hasNextPage: false, endCursor: null },
            },
          },
        }),
      );
    if (gate) void gate.then(answer);
    else answer();
  });
  closers.push(() => server.close());
  return {
    url: server.url,
    serve: (next: Listing[]) => (listings = next),
    hold: () => {
      arrived = false;
      gate = new Promise<void>((resolve) => (open = resolve));
    },
    waitForRequest: async () => {
      while (!arrived) await new Promise((resolve) => setTimeout(resolve, 10));
    },
    release: () => {
      gate = null;
      open();
    },
  };
}

async function harvestNow(providerId: string, fullSync = false) {
  const response = await t.graphql(HARVEST_NOW, { p: providerId, full: fullSync }, { as: COORDINATOR });
  expect(response.errors).toBeUndefined();
  return response.data!.harvestNow;
}

function listingsOf(prefix: string, n: number): Listing[] {
  return Array.from({ length: n }, (_, i) =>
    makeListing({ id: `${prefix}-${String(i + 1).padStart(2, '0')}` }),
  );
}

describe('a schedule change made while a run is in flight', () => {
  it('a shortened interval is kept: the run that finishes does not push the next run out by the old interval', async () => {
    await registerOrganisation(t.db, 'intervall', 'PROVIDER');
    const endpoint = await gatedEndpoint();
    endpoint.serve(listingsOf('intervall', 2));
    const weekly = await t.graphql(
      REGISTER,
      { i: { providerId: 'intervall', url: endpoint.url, intervalSeconds: 604_800 } },
      { as: COORDINATOR },
    );
    expect(weekly.errors).toBeUndefined();
    expect((await harvestNow('intervall')).status).toBe('SUCCEEDED');

    // A run is in flight (a slow endpoint) when the interval is shortened to one minute.
    endpoint.hold();
    const inFlight = harvestNow('intervall');
    await endpoint.waitForRequest();
    const shortened = await t.graphql(
      REGISTER,
      { i: { providerId: 'intervall', url: endpoint.url, intervalSeconds: 60 } },
      { as: COORDINATOR },
    );
    expect(shortened.errors).toBeUndefined();
    expect(Date.parse(shortened.data!.registerHarvestEndpoint.nextRunAt)).toBeLessThanOrEqual(
      Date.now() + 60_000,
    );
    endpoint.release();
    expect((await inFlight).status).toBe('SUCCEEDED');

    const after = (await t.graphql(ENDPOINT, { p: 'intervall' }, { as: COORDINATOR })).data!.harvestEndpoint;
    expect(after.intervalSeconds).toBe(60);
    // Within the new interval (one minute), not a week from now.
    expect(Date.parse(after.nextRunAt)).toBeLessThanOrEqual(Date.now() + 61_000);
  });

  it("a coordinator's confirmation of a held full sync during a manual run keeps that full sync due at once", async () => {
    await registerOrganisation(t.db, 'bestaetigt', 'PROVIDER');
    const endpoint = await gatedEndpoint();
    const all = listingsOf('bestaetigt', 10);
    endpoint.serve(all);
    const registered = await t.graphql(
      REGISTER,
      { i: { providerId: 'bestaetigt', url: endpoint.url } },
      { as: COORDINATOR },
    );
    expect(registered.errors).toBeUndefined();
    expect(await harvestNow('bestaetigt')).toMatchObject({ mode: 'FULL', created: 10 });

    // Half the listings are gone: the full sync is held.
    endpoint.serve(all.slice(5));
    const held = await harvestNow('bestaetigt', true);
    expect(held).toMatchObject({ mode: 'FULL', status: 'HELD', withdrawn: 0 });

    // An incremental run is in flight when the coordinator confirms the held run.
    endpoint.hold();
    const inFlight = harvestNow('bestaetigt');
    await endpoint.waitForRequest();
    const confirmed = await t.graphql(CONFIRM, { r: held.id }, { as: COORDINATOR });
    expect(confirmed.errors).toBeUndefined();
    expect(Date.parse(confirmed.data!.confirmHeldHarvest.nextRunAt)).toBeLessThanOrEqual(Date.now());
    endpoint.release();
    expect(await inFlight).toMatchObject({ mode: 'INCREMENTAL', status: 'SUCCEEDED' });

    // Still due at once: the scheduler's next poll runs the full sync that withdraws the five.
    const state = (await t.graphql(ENDPOINT, { p: 'bestaetigt' }, { as: COORDINATOR })).data!.harvestEndpoint;
    expect(Date.parse(state.nextRunAt)).toBeLessThanOrEqual(Date.now());
    const due = await t.server.harvester.harvestDue(new Date());
    expect(due.find((r) => r.provider_id === 'bestaetigt')).toMatchObject({
      mode: 'FULL',
      status: 'SUCCEEDED',
      withdrawn: 5,
    });
  });

  it("a coordinator's confirmation during a scheduled run, whose slot is already past, keeps that full sync due at once", async () => {
    await registerOrganisation(t.db, 'geplant', 'PROVIDER');
    const endpoint = await gatedEndpoint();
    const all = listingsOf('geplant', 10);
    endpoint.serve(all);
    const registered = await t.graphql(
      REGISTER,
      { i: { providerId: 'geplant', url: endpoint.url } },
      { as: COORDINATOR },
    );
    expect(registered.errors).toBeUndefined();
    expect(await harvestNow('geplant')).toMatchObject({ mode: 'FULL', created: 10 });
    endpoint.serve(all.slice(5));
    const held = await harvestNow('geplant', true);
    expect(held).toMatchObject({ mode: 'FULL', status: 'HELD', withdrawn: 0 });

    // Pausing and resuming makes the endpoint due now; the scheduler claims it, and while its run is
    // in flight the coordinator confirms. The slot is past already, so the confirmation leaves
    // next_run_at as the claim saw it: only the full sync it requested tells the finishing run.
    for (const on of [false, true]) {
      expect((await t.graphql(ENABLE, { p: 'geplant', on }, { as: COORDINATOR })).errors).toBeUndefined();
    }
    endpoint.hold();
    const scheduled = t.server.harvester.harvestDue(new Date());
    await endpoint.waitForRequest();
    const confirmed = await t.graphql(CONFIRM, { r: held.id }, { as: COORDINATOR });
    expect(confirmed.errors).toBeUndefined();
    endpoint.release();
    expect((await scheduled).find((r) => r.provider_id === 'geplant')).toMatchObject({
      mode: 'INCREMENTAL',
      status: 'SUCCEEDED',
    });

    const state = (await t.graphql(ENDPOINT, { p: 'geplant' }, { as: COORDINATOR })).data!.harvestEndpoint;
    expect(Date.parse(state.nextRunAt)).toBeLessThanOrEqual(Date.now());
    const due = await t.server.harvester.harvestDue(new Date());
    expect(due.find((r) => r.provider_id === 'geplant')).toMatchObject({
      mode: 'FULL',
      status: 'SUCCEEDED',
      withdrawn: 5,
    });
  });

  it('a full sync requested during a full sync that succeeds stays requested, with its confirmed withdrawals', async () => {
    await registerOrganisation(t.db, 'doppelt', 'PROVIDER');
    const endpoint = await gatedEndpoint();
    const all = listingsOf('doppelt', 10);
    endpoint.serve(all);
    const registered = await t.graphql(
      REGISTER,
      { i: { providerId: 'doppelt', url: endpoint.url } },
      { as: COORDINATOR },
    );
    expect(registered.errors).toBeUndefined();
    expect(await harvestNow('doppelt')).toMatchObject({ mode: 'FULL', created: 10 });
    endpoint.serve(all.slice(5));
    const held = await harvestNow('doppelt', true);
    expect(held).toMatchObject({ mode: 'FULL', status: 'HELD' });

    // A full sync that reads all ten again (nothing to withdraw) is in flight when the coordinator
    // confirms the held run. That run did not use the confirmation, so it must not clear it.
    endpoint.serve(all);
    endpoint.hold();
    const inFlight = harvestNow('doppelt', true);
    await endpoint.waitForRequest();
    expect((await t.graphql(CONFIRM, { r: held.id }, { as: COORDINATOR })).errors).toBeUndefined();
    endpoint.release();
    expect(await inFlight).toMatchObject({ mode: 'FULL', status: 'SUCCEEDED', withdrawn: 0 });

    // The endpoint serves only five again: the requested full sync withdraws the confirmed five.
    endpoint.serve(all.slice(5));
    const state = (await t.graphql(ENDPOINT, { p: 'doppelt' }, { as: COORDINATOR })).data!.harvestEndpoint;
    expect(Date.parse(state.nextRunAt)).toBeLessThanOrEqual(Date.now());
    const due = await t.server.harvester.harvestDue(new Date());
    expect(due.find((r) => r.provider_id === 'doppelt')).toMatchObject({
      mode: 'FULL',
      status: 'SUCCEEDED',
      withdrawn: 5,
    });
  });
});
