import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Listing } from '../../catalog-schema/generated/listing.ts';
import { makeListing, registerOrganisation } from '../../test/helpers/listings.ts';
import {
  startFaultServer,
  startProviderNode,
  type TestProviderNode,
} from '../../test/helpers/provider-nodes.ts';
import {
  scrapeMetrics,
  startTestServer,
  testConfig,
  type TestServer,
} from '../../test/helpers/test-server.ts';
import { createHarvester } from './harvester.ts';
import { claimRunNow } from './scheduling/claim-run.ts';

const COORDINATOR = 'coordinator@koordinierung';
let t: TestServer;
const closers: (() => Promise<unknown>)[] = [];

const RUN_FIELDS = `id mode trigger status fetched created updated unchanged withdrawn rejected errorCode error
  heldWithdrawals confirmedAt confirmedBy scheduledFor rejections { localId code message problems { path message } }`;
const HARVEST_NOW = `mutation ($p: ID!, $full: Boolean) { harvestNow(providerId: $p, fullSync: $full) { ${RUN_FIELDS} } }`;
const ENDPOINT = `query ($p: ID!) {
  harvestEndpoint(providerId: $p) {
    url enabled nextRunAt lastHarvestedAt lastFullSyncAt circuit consecutiveFailures pausedUntil
    heldRun { ${RUN_FIELDS} }
    runs(first: 3) { ${RUN_FIELDS} }
  }
}`;

beforeAll(async () => {
  t = await startTestServer({
    config: {
      harvest: {
        ...testConfig().harvest,
        pollIntervalMs: 0,
        requestTimeoutMs: 1000,
        retries: 1,
        retryBackoffMs: 10,
        circuitFailureThreshold: 2,
        circuitPauseSeconds: 3600,
      },
    },
  });
  await registerOrganisation(t.db, 'koordinierung', 'COORDINATOR');
});

afterAll(async () => {
  await t?.close();
  for (const close of closers.reverse()) await close();
});

async function node(listings: Listing[]): Promise<TestProviderNode> {
  const started = await startProviderNode(listings);
  closers.push(() => started.close());
  return started;
}

/** The body of an endpoint's answer with `listings`, by default the last page. */
function snapshot(listings: Listing[] = [], pageInfo: unknown = { hasNextPage: false, endCursor: null }) {
  const nodes = listings.map((listing) => ({ id: listing.id, document: listing }));
  return JSON.stringify({ data: { listings: { asOf: new Date().toISOString(), nodes, pageInfo } } });
}

async function provider(id: string, url: string): Promise<void> {
  await registerOrganisation(t.db, id, 'PROVIDER');
  const response = await t.graphql(
    'mutation ($i: HarvestEndpointInput!) { registerHarvestEndpoint(input: $i) { url } }',
    { i: { providerId: id, url } },
    { as: COORDINATOR },
  );
  expect(response.errors).toBeUndefined();
}

async function harvestNow(providerId: string, fullSync = false, as = COORDINATOR) {
  const response = await t.graphql(HARVEST_NOW, { p: providerId, full: fullSync }, { as });
  expect(response.errors).toBeUndefined();
  return response.data!.harvestNow;
}

async function endpoint(providerId: string) {
  return (await t.graphql(ENDPOINT, { p: providerId }, { as: COORDINATOR })).data!.harvestEndpoint;
}

async function services(providerId: string) {
  const { rows } = await sql<{
    local_id: string;
    status: string;
    revision: number;
    updated_at: Date;
    fetched_at: Date;
    withdrawn_reason: string | null;
  }>`
    select local_id, status, revision, updated_at, fetched_at, withdrawn_reason from service
    where provider_id = ${providerId} order by local_id`.execute(t.db);
  return rows;
}

async function count(query: ReturnType<typeof sql<{ n: number }>>): Promise<number> {
  return (await query.execute(t.db)).rows[0]!.n;
}

function listingsOf(prefix: string, n: number): Listing[] {
  return Array.from({ length: n }, (_, i) =>
    makeListing({ id: `${prefix}-${String(i + 1).padStart(2, '0')}` }),
  );
}

describe('incremental harvest, full sync and provenance', () => {
  let alpha: TestProviderNode;

  beforeAll(async () => {
    alpha = await node(listingsOf('alpha', 10));
    await provider('alpha', alpha.url);
    // The deltas below count what changed since the full sync: its files must predate it.
    await alpha.settle();
  });

  it('starts with a full sync that creates every listing, through the audited write path', async () => {
    const run = await harvestNow('alpha');
    expect(run).toMatchObject({
      mode: 'FULL',
      trigger: 'MANUAL',
      status: 'SUCCEEDED',
      fetched: 10,
      created: 10,
    });
    const audited = await count(
      sql<{ n: number }>`select count(*)::int as n from audit_event
        where action = 'service.published' and subject like 'service:alpha/%' and payload->>'source' = 'HARVEST'`,
    );
    expect(audited).toBe(10);
  });

  it('writes nothing at all when the content is the same (no revision, no timestamp, no audit event)', async () => {
    const before = await services('alpha');
    const events = await count(sql<{ n: number }>`select count(*)::int as n from audit_event`);
    const run = await harvestNow('alpha', true);
    expect(run).toMatchObject({
      mode: 'FULL',
      status: 'SUCCEEDED',
      fetched: 10,
      unchanged: 10,
      created: 0,
      updated: 0,
    });
    expect(await services('alpha')).toEqual(before);
    expect(await count(sql<{ n: number }>`select count(*)::int as n from audit_event`)).toBe(events);
  });

  it('asks only for what changed since the last asOf, and applies it', async () => {
    alpha.write(makeListing({ id: 'alpha-03', title: 'Alpha drei, überarbeitet' }));
    const before = alpha.requests.length;
    const run = await harvestNow('alpha');
    expect(run).toMatchObject({ mode: 'INCREMENTAL', fetched: 1, updated: 1, unchanged: 0 });
    expect(alpha.requests.slice(before)).toHaveLength(1);
    expect(alpha.requests.at(-1)).not.toBeNull();
    const changed = (await services('alpha')).find((s) => s.local_id === 'alpha-03')!;
    expect(changed.revision).toBe(2);
    const detail = await t.graphql(
      '{ service(id: "alpha/alpha-03") { title contentHash provenance { source endpoint fetchedAt } } }',
    );
    expect(detail.data!.service).toMatchObject({
      title: 'Alpha drei, überarbeitet',
      provenance: { source: 'HARVEST', endpoint: alpha.url },
    });
    expect(Date.parse(detail.data!.service.provenance.fetchedAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('withdraws what a full snapshot no longer has, within the allowed share, and never deletes it', async () => {
    alpha.remove('alpha-09');
    alpha.remove('alpha-10');
    const incremental = await harvestNow('alpha');
    expect(incremental).toMatchObject({ mode: 'INCREMENTAL', withdrawn: 0 });
    const full = await harvestNow('alpha', true);
    expect(full).toMatchObject({ mode: 'FULL', status: 'SUCCEEDED', fetched: 8, unchanged: 8, withdrawn: 2 });
    const rows = await services('alpha');
    expect(rows).toHaveLength(10);
    expect(rows.filter((s) => s.status === 'WITHDRAWN').map((s) => s.local_id)).toEqual([
      'alpha-09',
      'alpha-10',
    ]);
    expect(rows.find((s) => s.local_id === 'alpha-09')!.withdrawn_reason).toContain(
      `no longer served by ${alpha.url}`,
    );
    const withdrawn = await t.graphql('{ service(id: "alpha/alpha-09") { status } }');
    expect(withdrawn.data!.service.status).toBe('WITHDRAWN');
  });

  it('reactivates a withdrawn listing that is served again', async () => {
    alpha.write(makeListing({ id: 'alpha-09' }));
    const run = await harvestNow('alpha');
    expect(run).toMatchObject({ mode: 'INCREMENTAL', updated: 1, created: 0, withdrawn: 0 });
    // The node serves the last two seconds' changes again (its asOf margin): unchanged, they write nothing.
    expect(run.fetched - run.unchanged).toBe(1);
    expect((await services('alpha')).find((s) => s.local_id === 'alpha-09')!.status).toBe('ACTIVE');
  });

  it('runs a full sync again once the full-sync interval has passed', async () => {
    const due = new Date(Date.now() + 86_401_000);
    const runs = await t.server.harvester.harvestDue(due);
    expect(runs.find((r) => r.provider_id === 'alpha')).toMatchObject({
      mode: 'FULL',
      trigger: 'SCHEDULE',
      status: 'SUCCEEDED',
    });
  });
});

describe('an endpoint that moved', () => {
  it('records the new URL on unchanged listings, and nothing else (no revision, timestamp or audit event)', async () => {
    const listings = listingsOf('umzieher', 3);
    const before = await node(listings);
    const after = await node(listings);
    await provider('umzieher', before.url);
    expect(await harvestNow('umzieher', true)).toMatchObject({ status: 'SUCCEEDED', created: 3 });
    const stored = await services('umzieher');
    const events = await count(sql<{ n: number }>`select count(*)::int as n from audit_event`);
    const moved = await t.graphql(
      'mutation ($i: HarvestEndpointInput!) { registerHarvestEndpoint(input: $i) { url } }',
      { i: { providerId: 'umzieher', url: after.url } },
      { as: COORDINATOR },
    );
    expect(moved.errors).toBeUndefined();

    expect(await harvestNow('umzieher', true)).toMatchObject({
      status: 'SUCCEEDED',
      unchanged: 3,
      created: 0,
      updated: 0,
    });
    expect(await services('umzieher')).toEqual(stored);
    const { rows } = await sql<{ source_endpoint: string }>`
      select source_endpoint from service where provider_id = 'umzieher' order by id`.execute(t.db);
    expect(rows.map((r) => r.source_endpoint)).toEqual([after.url, after.url, after.url]);
    const detail = await t.graphql(
      '{ service(id: "umzieher/umzieher-01") { provenance { source endpoint } } }',
    );
    expect(detail.data!.service.provenance).toEqual({ source: 'HARVEST', endpoint: after.url });
    expect(await count(sql<{ n: number }>`select count(*)::int as n from audit_event`)).toBe(events);
  });
});

describe('a full sync that would withdraw too much', () => {
  let beta: TestProviderNode;

  beforeAll(async () => {
    beta = await node(listingsOf('beta', 10));
    await provider('beta', beta.url);
    await harvestNow('beta');
  });

  it('is held: other changes apply, nothing is withdrawn, and the report names what would be', async () => {
    for (const id of ['beta-01', 'beta-02', 'beta-03', 'beta-04']) beta.remove(id);
    beta.write(makeListing({ id: 'beta-11' }));
    const run = await harvestNow('beta', true);
    expect(run).toMatchObject({ mode: 'FULL', status: 'HELD', created: 1, withdrawn: 0 });
    expect(run.heldWithdrawals).toEqual(['beta/beta-01', 'beta/beta-02', 'beta/beta-03', 'beta/beta-04']);
    expect((await services('beta')).filter((s) => s.status === 'ACTIVE')).toHaveLength(11);
    const state = await endpoint('beta');
    expect(state.heldRun.id).toBe(run.id);
    expect(state.lastFullSyncAt).not.toBe(null);
  });

  it('cannot be confirmed by a provider, or as a run that is not held', async () => {
    const held = (await endpoint('beta')).heldRun;
    const byProvider = await t.graphql(
      'mutation ($r: ID!) { confirmHeldHarvest(runId: $r) { url } }',
      { r: held.id },
      {
        as: 'provider@beta',
      },
    );
    expect(byProvider.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
    const notHeld = await t.graphql(
      'mutation ($r: ID!) { confirmHeldHarvest(runId: $r) { url } }',
      { r: (await endpoint('beta')).runs[1].id },
      { as: COORDINATOR },
    );
    expect(notHeld.errors?.[0]?.extensions.code).toBe('PRECONDITION_FAILED');
    const unknown = await t.graphql(
      'mutation { confirmHeldHarvest(runId: "999999") { url } }',
      {},
      { as: COORDINATOR },
    );
    expect(unknown.errors?.[0]?.extensions.code).toBe('NOT_FOUND');
  });

  it('a later held full sync replaces the earlier one, which can no longer be confirmed', async () => {
    const earlier = (await endpoint('beta')).heldRun;
    const later = await harvestNow('beta', true);
    expect(later.status).toBe('HELD');
    const stale = await t.graphql(
      'mutation ($r: ID!) { confirmHeldHarvest(runId: $r) { url } }',
      { r: earlier.id },
      {
        as: COORDINATOR,
      },
    );
    expect(stale.errors?.[0]?.extensions.code).toBe('PRECONDITION_FAILED');
    expect(stale.errors?.[0]?.message).toContain('later full sync');
  });

  it("applies the withdrawals on the next full sync after a coordinator's confirmation", async () => {
    const held = (await endpoint('beta')).heldRun;
    const confirmed = await t.graphql(
      'mutation ($r: ID!) { confirmHeldHarvest(runId: $r) { nextRunAt heldRun { id } } }',
      { r: held.id },
      { as: COORDINATOR },
    );
    expect(confirmed.errors).toBeUndefined();
    expect(confirmed.data!.confirmHeldHarvest.heldRun).toBeNull();
    expect(Date.parse(confirmed.data!.confirmHeldHarvest.nextRunAt)).toBeLessThanOrEqual(Date.now());
    const again = await t.graphql(
      'mutation ($r: ID!) { confirmHeldHarvest(runId: $r) { url } }',
      { r: held.id },
      {
        as: COORDINATOR,
      },
    );
    expect(again.errors?.[0]?.extensions.code).toBe('PRECONDITION_FAILED');

    const [run] = await t.server.harvester.harvestDue(new Date());
    expect(run).toMatchObject({ provider_id: 'beta', mode: 'FULL', status: 'SUCCEEDED', withdrawn: 4 });
    expect((await services('beta')).filter((s) => s.status === 'WITHDRAWN').map((s) => s.local_id)).toEqual([
      'beta-01',
      'beta-02',
      'beta-03',
      'beta-04',
    ]);
    const report = (await endpoint('beta')).runs.find((r: any) => r.id === held.id);
    expect(report).toMatchObject({ status: 'HELD', confirmedBy: 'dev:coordinator@koordinierung' });
  });
});

describe('a confirmed held full sync', () => {
  // Paused afterwards: their endpoints stay due (a held full sync is tried again), and the tests
  // below take the next due run.
  afterAll(async () => {
    await sql`update harvest_endpoint set enabled = false where provider_id in ('bestaetigt', 'doppelt')`.execute(
      t.db,
    );
  });

  async function heldAndConfirmable(providerId: string) {
    const endpointNode = await node(listingsOf(providerId, 10));
    await provider(providerId, endpointNode.url);
    expect(await harvestNow(providerId, true)).toMatchObject({ status: 'SUCCEEDED', created: 10 });
    for (const n of ['01', '02', '03', '04']) endpointNode.remove(`${providerId}-${n}`);
    const held = await harvestNow(providerId, true);
    expect(held).toMatchObject({ status: 'HELD', withdrawn: 0 });
    return { endpointNode, held };
  }
  const CONFIRM = 'mutation ($r: ID!) { confirmHeldHarvest(runId: $r) { url } }';

  it('lets the next full sync withdraw the listings the coordinator saw, and no others', async () => {
    const { endpointNode, held } = await heldAndConfirmable('bestaetigt');
    expect((await t.graphql(CONFIRM, { r: held.id }, { as: COORDINATOR })).errors).toBeUndefined();
    // Before the next full sync the four are served again, and four others are gone: as many as
    // were confirmed, but not the ones a coordinator saw.
    for (const listing of listingsOf('bestaetigt', 4)) endpointNode.write(listing);
    for (const n of ['05', '06', '07', '08']) endpointNode.remove(`bestaetigt-${n}`);
    const [next] = await t.server.harvester.harvestDue(new Date());
    expect(next).toMatchObject({ provider_id: 'bestaetigt', mode: 'FULL', status: 'HELD', withdrawn: 0 });
    expect((await services('bestaetigt')).filter((s) => s.status !== 'ACTIVE')).toEqual([]);
  });

  it('is confirmed once when two coordinators confirm it at the same moment', async () => {
    const { held } = await heldAndConfirmable('doppelt');
    await registerOrganisation(t.db, 'koordinierung-zwei', 'COORDINATOR');
    const answers = await Promise.all(
      ['coordinator@koordinierung', 'coordinator@koordinierung-zwei', 'coordinator@koordinierung'].map((as) =>
        t.graphql(CONFIRM, { r: held.id }, { as }),
      ),
    );
    expect(answers.filter((a) => !a.errors)).toHaveLength(1);
    for (const refused of answers.filter((a) => a.errors)) {
      expect(refused.errors![0]!.extensions.code).toBe('PRECONDITION_FAILED');
    }
  });
});

describe('a document whose bad text PostgreSQL cannot store', () => {
  it('is rejected with its problem escaped, and the run ends SUCCEEDED with the good listings', async () => {
    // A member name or a node id holding U+0000 went into the run's rejections as it was; storing
    // them failed (jsonb), the run failed with INTERNAL and stayed RUNNING until its lease ran out.
    const good = makeListing({ id: 'gut-eins' });
    const badMember = { ...makeListing({ id: 'schlecht' }), 'x\u0000y': 1 };
    const body = JSON.stringify({
      data: {
        listings: {
          asOf: new Date().toISOString(),
          nodes: [
            { id: good.id, document: good },
            { id: 'schlecht', document: badMember },
            { id: 'null\u0000id', document: makeListing({ id: 'anders' }) },
          ],
          pageInfo: { hasNextPage: false, endCursor: null },
        },
      },
    });
    const server = await startFaultServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
    });
    closers.push(() => server.close());
    await provider('nullwerk', server.url);
    const run = await harvestNow('nullwerk', true);
    expect(run).toMatchObject({ status: 'SUCCEEDED', created: 1, rejected: 2, errorCode: null });
    const byId = Object.fromEntries(run.rejections.map((r: any) => [r.localId, r]));
    expect(byId.schlecht).toMatchObject({ code: 'INVALID' });
    expect(byId.schlecht.problems).toContainEqual({ path: '/x\\u0000y', message: 'is not a known field' });
    expect(byId['null\\u0000id']).toMatchObject({
      code: 'INVALID',
      message: 'the endpoint serves listing anders under the id null\\u0000id',
    });
    expect((await services('nullwerk')).map((s) => s.local_id)).toEqual(['gut-eins']);
  });
});

describe('a run whose outcome cannot be stored', () => {
  it('ends FAILED (INTERNAL) instead of staying RUNNING, and the endpoint can be harvested again', async () => {
    const server = await node([makeListing({ id: 'eins' })]);
    await provider('stoerwerk', server.url);
    // A fault in the database itself: storing this provider's successful outcome is refused.
    await sql`
      create function refuse_stoerwerk_success() returns trigger language plpgsql as $$
      begin
        if new.provider_id = 'stoerwerk' and new.status = 'SUCCEEDED' then
          raise exception 'refused by the test';
        end if;
        return new;
      end $$`.execute(t.db);
    await sql`
      create trigger refuse_stoerwerk_success before update on harvest_run
      for each row execute function refuse_stoerwerk_success()`.execute(t.db);
    try {
      const run = await harvestNow('stoerwerk', true);
      expect(run).toMatchObject({ status: 'FAILED', errorCode: 'INTERNAL' });
    } finally {
      await sql`drop trigger refuse_stoerwerk_success on harvest_run`.execute(t.db);
      await sql`drop function refuse_stoerwerk_success()`.execute(t.db);
    }
    expect(await harvestNow('stoerwerk', true)).toMatchObject({ status: 'SUCCEEDED' });
  });
});

describe('one owner per listing: push and harvest', () => {
  let gamma: TestProviderNode;

  beforeAll(async () => {
    await registerOrganisation(t.db, 'gamma', 'PROVIDER');
    const pushed = await t.graphql(
      'mutation ($l: JSON!) { publishService(listing: $l) { service { id } } }',
      { l: makeListing({ id: 'gepusht' }) },
      { as: 'provider@gamma' },
    );
    expect(pushed.errors).toBeUndefined();
    gamma = await node([
      makeListing({ id: 'gepusht', title: 'Vom Knoten' }),
      makeListing({ id: 'geerntet' }),
    ]);
    await provider('gamma', gamma.url);
  });

  it('a harvested listing does not replace a pushed one with the same id (CONFLICT in the report)', async () => {
    const run = await harvestNow('gamma');
    expect(run).toMatchObject({ status: 'SUCCEEDED', fetched: 2, created: 1, rejected: 1 });
    expect(run.rejections).toEqual([
      {
        localId: 'gepusht',
        code: 'CONFLICT',
        message: expect.stringContaining('was published by push'),
        problems: [{ path: '/id', message: 'gamma/gepusht is published by push' }],
      },
    ]);
    const kept = await t.graphql('{ service(id: "gamma/gepusht") { title provenance { source } } }');
    expect(kept.data!.service).toEqual({ title: 'Testdienst gepusht', provenance: { source: 'PUSH' } });
  });

  it('a pushed listing does not replace a harvested one, nor can push withdraw it (CONFLICT)', async () => {
    const push = await t.graphql(
      'mutation ($l: JSON!) { publishService(listing: $l) { service { id } } }',
      { l: makeListing({ id: 'geerntet', title: 'Überschrieben' }) },
      { as: 'provider@gamma' },
    );
    expect(push.errors?.[0]?.extensions.code).toBe('CONFLICT');
    expect(push.errors?.[0]?.message).toContain(gamma.url);
    const withdraw = await t.graphql(
      'mutation { withdrawService(id: "gamma/geerntet") { id } }',
      {},
      {
        as: 'provider@gamma',
      },
    );
    expect(withdraw.errors?.[0]?.extensions.code).toBe('CONFLICT');
    const kept = await t.graphql('{ service(id: "gamma/geerntet") { title status } }');
    expect(kept.data!.service).toEqual({ title: 'Testdienst geerntet', status: 'ACTIVE' });
  });

  it('a full sync never withdraws a pushed listing', async () => {
    gamma.remove('gepusht');
    const run = await harvestNow('gamma', true);
    expect(run).toMatchObject({ status: 'SUCCEEDED', withdrawn: 0 });
    expect((await t.graphql('{ service(id: "gamma/gepusht") { status } }')).data!.service.status).toBe(
      'ACTIVE',
    );
  });
});

/** The harvest gauges of one provider's endpoint from /metrics, by metric name. */
async function harvestMetrics(providerId: string): Promise<Map<string, number>> {
  const label = `{provider="${providerId}"}`;
  const values = new Map<string, number>();
  for (const [series, value] of await scrapeMetrics(t.url)) {
    if (series.startsWith('catalogue_harvest_') && series.endsWith(label))
      values.set(series.slice(0, -label.length), value);
  }
  return values;
}

describe('faults: retries, the circuit, and the claim', () => {
  it('retries a transient failure within the run', async () => {
    let calls = 0;
    const flaky = await startFaultServer((req, res) => {
      calls++;
      if (calls === 1) {
        res.writeHead(503);
        return void res.end();
      }
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(snapshot([makeListing({ id: 'einzig' })]));
      });
    });
    closers.push(() => flaky.close());
    await provider('delta', flaky.url);
    const run = await harvestNow('delta');
    expect(run).toMatchObject({ status: 'SUCCEEDED', created: 1 });
    expect(calls).toBe(2);
  });

  it('a page without pageInfo, or a cursor that comes back, fails the run: nothing applied or withdrawn', async () => {
    const listings = listingsOf('iota', 10);
    // First ten listings in one good page; then seven of them and a new one, either without pageInfo
    // (read as the last page, that withdrew the other three: within the allowed share) or under a
    // cursor alternating between two values (paged forever).
    let serve: 'good' | 'no-page-info' | 'cycle' = 'good';
    const server = await startFaultServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const { after } = JSON.parse(Buffer.concat(chunks).toString('utf8')).variables;
        const served =
          serve === 'good' ? listings : [...listings.slice(0, 7), makeListing({ id: 'iota-neu' })];
        const pageInfo =
          serve === 'good'
            ? { hasNextPage: false, endCursor: null }
            : serve === 'cycle'
              ? { hasNextPage: true, endCursor: after === 'a' ? 'b' : 'a' }
              : null;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(snapshot(served, pageInfo));
      });
    });
    closers.push(() => server.close());
    await provider('iota', server.url);
    expect(await harvestNow('iota')).toMatchObject({ status: 'SUCCEEDED', created: 10 });

    for (const broken of ['no-page-info', 'cycle'] as const) {
      serve = broken;
      const run = await harvestNow('iota', true);
      expect(run).toMatchObject({ status: 'FAILED', errorCode: 'BAD_RESPONSE', created: 0, withdrawn: 0 });
      const rows = await services('iota');
      expect(rows.map((s) => s.local_id)).not.toContain('iota-neu');
      expect(rows.filter((s) => s.status === 'ACTIVE')).toHaveLength(10);
    }
    // Out of the way of the later tests' scheduled runs.
    await t.db
      .updateTable('harvest_endpoint')
      .set({ enabled: false })
      .where('provider_id', '=', 'iota')
      .execute();
  });

  it('opens the circuit after repeated failures, pauses the endpoint, and closes it after a good trial', async () => {
    let broken = true;
    const server = await startFaultServer((req, res) => {
      if (broken) {
        res.writeHead(502);
        return void res.end();
      }
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(snapshot());
      });
    });
    closers.push(() => server.close());
    await provider('epsilon', server.url);

    const now = Date.now();
    const first = (await t.server.harvester.harvestDue(new Date(now))).find(
      (r) => r.provider_id === 'epsilon',
    );
    expect(first).toMatchObject({ status: 'FAILED', error_code: 'UNREACHABLE' });
    expect((await endpoint('epsilon')).circuit).toBe('CLOSED');

    const second = await t.server.harvester.harvestDue(new Date(now + 901_000));
    expect(second.find((r) => r.provider_id === 'epsilon')).toMatchObject({ status: 'FAILED' });
    const open = await endpoint('epsilon');
    expect(open).toMatchObject({ circuit: 'OPEN', consecutiveFailures: 2 });
    expect(Date.parse(open.pausedUntil)).toBeGreaterThanOrEqual(now + 901_000 + 3_600_000);
    expect(open.nextRunAt).toBe(open.pausedUntil);
    // Registering the same endpoint again (a provisioning script) or enabling it while it is enabled
    // does not end the pause early: both made it due within one interval, or at once.
    const again = await t.graphql(
      'mutation ($i: HarvestEndpointInput!) { registerHarvestEndpoint(input: $i) { nextRunAt } }',
      { i: { providerId: 'epsilon', url: server.url } },
      { as: COORDINATOR },
    );
    expect(again.data!.registerHarvestEndpoint.nextRunAt).toBe(open.pausedUntil);
    const enabled = await t.graphql(
      'mutation { setHarvestEndpointEnabled(providerId: "epsilon", enabled: true) { nextRunAt } }',
      {},
      { as: COORDINATOR },
    );
    expect(enabled.data!.setHarvestEndpointEnabled.nextRunAt).toBe(open.pausedUntil);
    // A shorter interval moves the next run, but not into the pause.
    const shorter = await t.graphql(
      'mutation ($i: HarvestEndpointInput!) { registerHarvestEndpoint(input: $i) { nextRunAt } }',
      { i: { providerId: 'epsilon', url: server.url, intervalSeconds: 60 } },
      { as: COORDINATOR },
    );
    expect(shorter.data!.registerHarvestEndpoint.nextRunAt).toBe(open.pausedUntil);
    // Operators see the same in /metrics.
    const failing = await harvestMetrics('epsilon');
    expect(failing.get('catalogue_harvest_consecutive_failures')).toBe(2);
    expect(failing.get('catalogue_harvest_circuit_open')).toBe(1);
    expect(failing.has('catalogue_harvest_last_success_timestamp_seconds')).toBe(false);

    // Paused: the next interval passes without a run.
    const paused = await t.server.harvester.harvestDue(new Date(now + 2 * 901_000));
    expect(paused.find((r) => r.provider_id === 'epsilon')).toBeUndefined();

    // After the pause the trial run goes ahead; it succeeds and the circuit closes.
    broken = false;
    const trial = await t.server.harvester.harvestDue(new Date(Date.parse(open.pausedUntil) + 1000));
    expect(trial.find((r) => r.provider_id === 'epsilon')).toMatchObject({ status: 'SUCCEEDED' });
    expect(await endpoint('epsilon')).toMatchObject({
      circuit: 'CLOSED',
      consecutiveFailures: 0,
      pausedUntil: null,
    });
    const healthy = await harvestMetrics('epsilon');
    expect(healthy.get('catalogue_harvest_consecutive_failures')).toBe(0);
    expect(healthy.get('catalogue_harvest_circuit_open')).toBe(0);
    expect(healthy.get('catalogue_harvest_last_success_timestamp_seconds')).toBeCloseTo(
      Date.now() / 1000,
      -2,
    );
  });

  it('names what an endpoint answered without listings: its HTTP status and its words', async () => {
    const wrong = await startFaultServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'nothing here; the provider endpoint is at /graphql' }));
      });
    });
    closers.push(() => wrong.close());
    await provider('falschpfad', wrong.url);
    const run = await harvestNow('falschpfad');
    expect(run).toMatchObject({ status: 'FAILED', errorCode: 'BAD_RESPONSE' });
    expect(run.error).toBe(
      `${wrong.url} answered without listings (HTTP 404): {"error":"nothing here; the provider endpoint is at /graphql"}`,
    );
    await t.db
      .updateTable('harvest_endpoint')
      .set({ enabled: false })
      .where('provider_id', '=', 'falschpfad')
      .execute();
  });

  it('refuses a second run while one holds the endpoint (CONFLICT)', async () => {
    let release: () => void = () => undefined;
    const waiting = await startFaultServer((req, res) => {
      req.resume();
      release = () => res.end(snapshot());
    });
    closers.push(() => waiting.close());
    await provider('zeta', waiting.url);
    const first = t.graphql(HARVEST_NOW, { p: 'zeta', full: false }, { as: COORDINATOR });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const second = await t.graphql(HARVEST_NOW, { p: 'zeta', full: false }, { as: COORDINATOR });
    expect(second.errors?.[0]?.extensions.code).toBe('CONFLICT');
    release();
    expect((await first).data!.harvestNow.status).toBe('SUCCEEDED');
  });

  it('a run that read the old URL of an endpoint leaves the new URL its full sync, due now', async () => {
    let release: () => void = () => undefined;
    let arrived = false;
    const old = await startFaultServer((req, res) => {
      req.resume();
      arrived = true;
      release = () => res.end(snapshot());
    });
    const moved = await startFaultServer((req, res) => res.end('{}'));
    closers.push(
      () => old.close(),
      () => moved.close(),
    );
    await provider('umzug', old.url);
    const run = harvestNow('umzug', true);
    while (!arrived) await new Promise((resolve) => setTimeout(resolve, 10));
    const again = await t.graphql(
      'mutation ($i: HarvestEndpointInput!) { registerHarvestEndpoint(input: $i) { url } }',
      { i: { providerId: 'umzug', url: moved.url } },
      { as: COORDINATOR },
    );
    expect(again.errors).toBeUndefined();
    release();
    expect((await run).status).toBe('SUCCEEDED');
    const endpoint = await t.db
      .selectFrom('harvest_endpoint')
      .selectAll()
      .where('provider_id', '=', 'umzug')
      .executeTakeFirstOrThrow();
    expect(endpoint).toMatchObject({
      url: moved.url,
      watermark: null,
      full_sync_requested: true,
      last_full_sync_at: null,
      lease_owner: null,
    });
    expect(endpoint.next_run_at.getTime()).toBeLessThanOrEqual(Date.now());
    // Out of the way of the next test's replicas, which take whatever is due.
    await t.db
      .updateTable('harvest_endpoint')
      .set({ enabled: false })
      .where('provider_id', '=', 'umzug')
      .execute();
  });

  it('a replica that stops gives its run back at once: ABANDONED, and another replica takes the slot', async () => {
    let answer: (() => void) | undefined;
    const held = await startFaultServer((req, res) => {
      req.resume();
      answer = () => res.end(snapshot());
    });
    closers.push(() => held.close());
    await provider('eta', held.url);
    const slot = (await endpoint('eta')).nextRunAt;
    // A second replica in the same database, with a long request timeout.
    const other = createHarvester({
      db: t.db,
      hooks: {},
      config: { ...t.server.harvester.config, requestTimeoutMs: 60_000, concurrency: 1 },
      owner: 'replica-b',
    });
    // The slot in microseconds is a little after its millisecond rendering.
    const running = other.harvestDue(new Date(Date.parse(slot) + 1));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const claimed = await sql<{
      lease_owner: string;
    }>`select lease_owner from harvest_endpoint where provider_id = 'eta'`.execute(t.db);
    expect(claimed.rows[0]!.lease_owner).toBe('replica-b');
    await other.stop();
    const [abandoned] = await running;
    expect(abandoned).toMatchObject({
      provider_id: 'eta',
      status: 'ABANDONED',
      error_code: 'ABANDONED',
      claimed_by: 'replica-b',
    });
    expect(new Date(abandoned!.scheduled_for!).toISOString()).toBe(slot);

    const takeover = t.server.harvester.harvestDue(new Date(Date.parse(slot) + 1));
    await new Promise((resolve) => setTimeout(resolve, 300));
    answer!();
    const runs = await takeover;
    const eta = runs.find((r) => r.provider_id === 'eta')!;
    expect(eta).toMatchObject({ status: 'SUCCEEDED', claimed_by: t.server.harvester.owner });
    expect(new Date(eta.scheduled_for!).toISOString()).toBe(slot);
  });
});

describe('the address rules apply to what an endpoint name resolves to', () => {
  it('refuses a name that resolves to a refused address (ADDRESS_REFUSED, nothing sent) and harvests it where that address is allowed', async () => {
    const theta = await node(listingsOf('theta', 2));
    // The node listens on 127.0.0.1; the endpoint names it by a host name that resolves there.
    const byName = new URL(theta.url);
    byName.hostname = 'localhost';
    await provider('theta', byName.href);
    // A replica whose rules allow no loopback address (production allows none unless configured).
    const strict = createHarvester({
      db: t.db,
      hooks: {},
      config: { ...t.server.harvester.config, allowedAddresses: [] },
      owner: 'replica-strict',
    });
    closers.push(() => strict.stop());
    const refused = await strict.harvestNow('theta', { fullSync: true });
    expect(refused).toMatchObject({ status: 'FAILED', error_code: 'ADDRESS_REFUSED' });
    expect(refused.error).toContain('localhost resolves to 127.0.0.1');
    expect(theta.requests).toEqual([]);
    expect(await services('theta')).toEqual([]);

    // This gateway's rules allow loopback (127.0.0.0/8): the same name is harvested.
    const allowed = await harvestNow('theta', true);
    expect(allowed).toMatchObject({ status: 'SUCCEEDED', errorCode: null, created: 2 });
    expect(theta.requests).toEqual([null]);
  });
});

describe('a run whose replica died while its endpoint was paused', () => {
  it('is marked ABANDONED by the next scheduler poll once its lease has expired', async () => {
    const paused = await node(listingsOf('verwaist', 2));
    await provider('verwaist', paused.url);
    // A replica claims a run (the first thing harvestNow and harvestDue do) and dies.
    const claim = await claimRunNow(t.db, 'verwaist', {
      owner: 'dead-replica',
      leaseSeconds: 1,
      fullSync: false,
    });
    expect(claim!.run.status).toBe('RUNNING');
    const set = await t.graphql(
      'mutation { setHarvestEndpointEnabled(providerId: "verwaist", enabled: false) { enabled } }',
      {},
      { as: COORDINATOR },
    );
    expect(set.errors).toBeUndefined();
    // Paused, the endpoint is never claimed again, which used to be the only way out of RUNNING.
    await t.server.harvester.harvestDue(new Date(0));
    expect((await endpoint('verwaist')).runs[0]).toMatchObject({ id: claim!.run.id, status: 'RUNNING' });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await t.server.harvester.harvestDue(new Date(0));
    expect((await endpoint('verwaist')).runs[0]).toMatchObject({ id: claim!.run.id, status: 'ABANDONED' });
  });
});
