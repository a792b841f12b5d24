// Done when: three provider nodes, plus one that is down, one that answers slowly, one that serves
// invalid listings and one that answers with 50 MB; the gateway serves everything good, with correct
// reports, and keeps serving it when the next run cannot reach an endpoint.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeListing, registerOrganisation } from '../helpers/listings.ts';
import {
  downUrl,
  startFaultServer,
  startProviderNode,
  type TestProviderNode,
} from '../helpers/provider-nodes.ts';
import { startTestServer, testConfig, type TestServer } from '../helpers/test-server.ts';

const COORDINATOR = 'coordinator@koordinierung';
const FIFTY_MB = 50 * 1024 * 1024;

let t: TestServer;
const nodes: Record<string, TestProviderNode> = {};
let slow: Awaited<ReturnType<typeof startFaultServer>>;
let huge: Awaited<ReturnType<typeof startFaultServer>>;
const urls: Record<string, string> = {};

const REGISTER = `mutation ($input: HarvestEndpointInput!) {
  registerHarvestEndpoint(input: $input) { provider { id } url nextRunAt circuit }
}`;
const ENDPOINT = `query ($p: ID!) {
  harvestEndpoint(providerId: $p) {
    lastHarvestedAt consecutiveFailures circuit
    runs(first: 5) {
      id mode trigger status fetched created updated unchanged withdrawn rejected errorCode error
      startedAt finishedAt
      rejections { localId code message problems { path message } }
    }
  }
}`;

function listings(provider: string, count: number) {
  return Array.from({ length: count }, (_, i) =>
    makeListing({
      id: `${provider}-dienst-${i + 1}`,
      title: `${provider} Fachverfahren ${i + 1}`,
      ozgIds: ['10205'],
    }),
  );
}

beforeAll(async () => {
  t = await startTestServer({
    config: {
      harvest: {
        ...testConfig().harvest,
        pollIntervalMs: 0, // the test drives the runs
        requestTimeoutMs: 500,
        retries: 1,
        retryBackoffMs: 20,
        maxResponseBytes: 5 * 1024 * 1024,
      },
    },
  });
  await registerOrganisation(t.db, 'koordinierung', 'COORDINATOR');
  for (const id of ['nordwerk', 'suedwerk', 'ostwerk', 'ausfall', 'langsam', 'fehlerhaft', 'riesig']) {
    await registerOrganisation(t.db, id, 'PROVIDER');
  }
  nodes.nordwerk = await startProviderNode(listings('nordwerk', 3), { providerId: 'nordwerk' });
  nodes.suedwerk = await startProviderNode(listings('suedwerk', 2));
  nodes.ostwerk = await startProviderNode(listings('ostwerk', 4));
  const [good1, good2, ...invalid] = listings('fehlerhaft', 5);
  nodes.fehlerhaft = await startProviderNode([
    good1!,
    good2!,
    { ...invalid[0]!, summary: undefined }, // required field missing
    { ...invalid[1]!, ozgIds: ['19999'] }, // unknown OZG-ID
    { ...invalid[2]!, operatingModel: 'MAINFRAME' }, // not an operating model
  ]);
  slow = await startFaultServer((_req, res) => {
    const timer = setTimeout(() => res.end('{}'), 3000);
    res.on('close', () => clearTimeout(timer));
  });
  huge = await startFaultServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const chunk = Buffer.alloc(256 * 1024, 0x20);
    let sent = 0;
    const pump = () => {
      while (sent < FIFTY_MB) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    res.on('error', () => undefined);
    pump();
  });
  // The runs after the first full syncs count what changed since: the files must predate those syncs.
  await Promise.all(Object.values(nodes).map((node) => node!.settle()));
  Object.assign(urls, {
    nordwerk: nodes.nordwerk.url,
    suedwerk: nodes.suedwerk.url,
    ostwerk: nodes.ostwerk.url,
    fehlerhaft: nodes.fehlerhaft.url,
    ausfall: await downUrl(),
    langsam: slow.url,
    riesig: huge.url,
  });
  // A provider registers its own endpoint; a coordinator registers the others.
  const own = await t.graphql(
    REGISTER,
    { input: { providerId: 'nordwerk', url: urls.nordwerk } },
    { as: 'provider@nordwerk' },
  );
  expect(own.errors).toBeUndefined();
  for (const [providerId, url] of Object.entries(urls)) {
    if (providerId === 'nordwerk') continue;
    const response = await t.graphql(REGISTER, { input: { providerId, url } }, { as: COORDINATOR });
    expect(response.errors).toBeUndefined();
  }
});

afterAll(async () => {
  await t?.close();
  for (const node of Object.values(nodes)) await node.close();
  await slow?.close();
  await huge?.close();
});

async function endpoint(providerId: string) {
  const response = await t.graphql(ENDPOINT, { p: providerId }, { as: COORDINATOR });
  expect(response.errors).toBeUndefined();
  return response.data!.harvestEndpoint;
}

async function catalogue(providers: string[]) {
  const response = await t.graphql(
    `query ($p: [ID!]) { services(filter: { provider: $p }, first: 100) {
       totalCount edges { node { id status lastHarvestedAt provenance { source endpoint fetchedAt } } } } }`,
    { p: providers },
  );
  return response.data!.services;
}

describe('harvesting seven endpoints, four of them broken', () => {
  let firstRuns: Awaited<ReturnType<TestServer['server']['harvester']['harvestDue']>>;

  beforeAll(async () => {
    firstRuns = await t.server.harvester.harvestDue(new Date());
  });

  it('runs every due endpoint once', () => {
    expect(firstRuns.map((r) => r.provider_id).sort()).toEqual(Object.keys(urls).sort());
    expect(firstRuns.every((r) => r.mode === 'FULL' && r.trigger === 'SCHEDULE')).toBe(true);
  });

  it('reports the good endpoints as full syncs that created every listing', async () => {
    for (const [providerId, count] of [
      ['nordwerk', 3],
      ['suedwerk', 2],
      ['ostwerk', 4],
    ] as const) {
      const { runs, lastHarvestedAt, circuit } = await endpoint(providerId);
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({
        mode: 'FULL',
        trigger: 'SCHEDULE',
        status: 'SUCCEEDED',
        fetched: count,
        created: count,
        updated: 0,
        unchanged: 0,
        withdrawn: 0,
        rejected: 0,
        errorCode: null,
        rejections: [],
      });
      expect(Date.parse(runs[0].finishedAt)).toBeGreaterThanOrEqual(Date.parse(runs[0].startedAt));
      expect(lastHarvestedAt).toBe(runs[0].finishedAt);
      expect(circuit).toBe('CLOSED');
    }
  });

  it('lands the valid listings of an endpoint with invalid ones and reports each refusal with its reasons', async () => {
    const { runs } = await endpoint('fehlerhaft');
    expect(runs[0]).toMatchObject({ status: 'SUCCEEDED', fetched: 5, created: 2, rejected: 3 });
    const byId = Object.fromEntries(runs[0].rejections.map((r: any) => [r.localId, r]));
    expect(Object.keys(byId).sort()).toEqual([
      'fehlerhaft-dienst-3',
      'fehlerhaft-dienst-4',
      'fehlerhaft-dienst-5',
    ]);
    expect(byId['fehlerhaft-dienst-3']).toMatchObject({
      code: 'INVALID',
      problems: [{ path: '/summary', message: 'is required' }],
    });
    expect(byId['fehlerhaft-dienst-4'].problems).toEqual([
      { path: '/ozgIds/0', message: 'unknown OZG-ID 19999' },
    ]);
    expect(byId['fehlerhaft-dienst-5'].problems[0]).toMatchObject({ path: '/operatingModel' });
    expect(byId['fehlerhaft-dienst-5'].message).toContain('/operatingModel');
  });

  it('reports the endpoint that is down, the slow one and the 50 MB one as failed, changing nothing', async () => {
    expect((await endpoint('ausfall')).runs[0]).toMatchObject({
      status: 'FAILED',
      errorCode: 'UNREACHABLE',
      fetched: 0,
      created: 0,
    });
    const langsam = (await endpoint('langsam')).runs[0];
    expect(langsam).toMatchObject({ status: 'FAILED', errorCode: 'TIMEOUT' });
    expect(langsam.error).toContain('500 ms');
    const riesig = await endpoint('riesig');
    expect(riesig.runs[0]).toMatchObject({ status: 'FAILED', errorCode: 'RESPONSE_TOO_LARGE' });
    expect(riesig.lastHarvestedAt).toBeNull();
    expect(riesig.consecutiveFailures).toBe(1);
    // The size cap stopped reading early: the server never got to write its 50 MB (retries included).
    expect(huge.bytesWritten()).toBeLessThan(FIFTY_MB / 2);
    expect((await catalogue(['ausfall', 'langsam', 'riesig'])).totalCount).toBe(0);
  });

  it('serves everything good, with provenance and lastHarvestedAt', async () => {
    const services = await catalogue(['nordwerk', 'suedwerk', 'ostwerk', 'fehlerhaft']);
    expect(services.totalCount).toBe(3 + 2 + 4 + 2);
    for (const { node } of services.edges) {
      const provider = node.id.split('/')[0];
      expect(node.status).toBe('ACTIVE');
      expect(node.provenance).toMatchObject({ source: 'HARVEST', endpoint: urls[provider] });
      expect(node.lastHarvestedAt).toBe((await endpoint(provider)).lastHarvestedAt);
    }
    const search = await t.graphql('{ services(search: "Fachverfahren", first: 100) { totalCount } }');
    expect(search.data!.services.totalCount).toBe(11);
  });

  it('shows a run report to its provider and coordinators, and to nobody else', async () => {
    const own = await t.graphql(ENDPOINT, { p: 'fehlerhaft' }, { as: 'provider@fehlerhaft' });
    expect(own.data!.harvestEndpoint.runs[0].rejected).toBe(3);
    const other = await t.graphql(ENDPOINT, { p: 'fehlerhaft' }, { as: 'provider@nordwerk' });
    expect(other.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
    const anonymous = await t.graphql(ENDPOINT, { p: 'fehlerhaft' });
    expect(anonymous.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
    const runId = own.data!.harvestEndpoint.runs[0].id;
    const run = await t.graphql(
      'query ($id: ID!) { harvestRun(id: $id) { id status } }',
      { id: runId },
      { as: 'provider@nordwerk' },
    );
    // Another provider's run is answered as one that does not exist.
    expect(run.errors).toBeUndefined();
    expect(run.data!.harvestRun).toBeNull();
    const all = await t.graphql('{ harvestEndpoints { provider { id } } }', {}, { as: COORDINATOR });
    expect(all.data!.harvestEndpoints).toHaveLength(7);
    const mine = await t.graphql('{ harvestEndpoints { provider { id } } }', {}, { as: 'provider@suedwerk' });
    expect(mine.data!.harvestEndpoints).toEqual([{ provider: { id: 'suedwerk' } }]);
  });

  describe('the next scheduled round', () => {
    let secondRuns: typeof firstRuns;
    let before: { revisions: number };

    beforeAll(async () => {
      before = (
        await sql<{ revisions: number }>`select count(*)::int as revisions from service_revision`.execute(
          t.db,
        )
      ).rows[0]!;
      nodes.nordwerk!.write(
        makeListing({ id: 'nordwerk-dienst-2', title: 'nordwerk Fachverfahren 2, neu', ozgIds: ['10205'] }),
      );
      await nodes.ostwerk!.close(); // goes down after its first harvest
      const later = new Date(Date.now() + 901_000); // one default interval on
      secondRuns = await t.server.harvester.harvestDue(later);
    });

    it('runs incrementally from the endpoint-given watermark, fetching only what changed', async () => {
      const nordwerk = (await endpoint('nordwerk')).runs[0];
      expect(nordwerk).toMatchObject({
        mode: 'INCREMENTAL',
        status: 'SUCCEEDED',
        fetched: 1,
        updated: 1,
        created: 0,
      });
      expect(nodes.nordwerk!.requests).toHaveLength(2);
      expect(nodes.nordwerk!.requests[0]).toBeNull();
      expect(nodes.nordwerk!.requests[1]).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect((await endpoint('suedwerk')).runs[0]).toMatchObject({
        mode: 'INCREMENTAL',
        fetched: 0,
        unchanged: 0,
      });
      const revisions = (
        await sql<{ revisions: number }>`select count(*)::int as revisions from service_revision`.execute(
          t.db,
        )
      ).rows[0]!.revisions;
      expect(revisions).toBe(before.revisions + 1);
      expect(secondRuns).toHaveLength(7);
    });

    it('keeps serving the last good listings of an endpoint that went down, with lastHarvestedAt', async () => {
      const ostwerk = await endpoint('ostwerk');
      expect(ostwerk.runs[0]).toMatchObject({ status: 'FAILED', errorCode: 'UNREACHABLE' });
      expect(ostwerk.runs[1]).toMatchObject({ status: 'SUCCEEDED' });
      expect(ostwerk.lastHarvestedAt).toBe(ostwerk.runs[1].finishedAt);
      const services = await catalogue(['ostwerk']);
      expect(services.totalCount).toBe(4);
      expect(
        services.edges.every(
          (e: any) => e.node.status === 'ACTIVE' && e.node.lastHarvestedAt === ostwerk.lastHarvestedAt,
        ),
      ).toBe(true);
      expect((await endpoint('ausfall')).consecutiveFailures).toBe(2);
    });
  });
});
