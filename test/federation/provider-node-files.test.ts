// Listings of the reference provider node at the gateway: a file that arrives with an old modification
// time is in the next delta, and a file the node cannot read for a moment (half-written, a typo) does
// not make a full sync withdraw its listing.
import { mkdtempSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Listing } from '../../catalog-schema/generated/listing.ts';
import { makeListing, registerOrganisation } from '../../test/helpers/listings.ts';
import { startProviderNode, type TestProviderNode } from '../../test/helpers/provider-nodes.ts';
import { startTestServer, testConfig, type TestServer } from '../../test/helpers/test-server.ts';

const COORDINATOR = 'coordinator@koordinierung';
const RUN = 'id mode status fetched created updated unchanged withdrawn rejected heldWithdrawals';
const HARVEST_NOW = `mutation ($p: ID!, $full: Boolean) { harvestNow(providerId: $p, fullSync: $full) { ${RUN} } }`;

let t: TestServer;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  t = await startTestServer({ config: { harvest: { ...testConfig().harvest, pollIntervalMs: 0 } } });
  await registerOrganisation(t.db, 'koordinierung', 'COORDINATOR');
});

afterAll(async () => {
  await t?.close();
  for (const close of closers.reverse()) await close();
});

async function provider(id: string, listings: Listing[]): Promise<TestProviderNode> {
  const node = await startProviderNode(listings);
  closers.push(() => node.close());
  await registerOrganisation(t.db, id, 'PROVIDER');
  const response = await t.graphql(
    'mutation ($i: HarvestEndpointInput!) { registerHarvestEndpoint(input: $i) { url } }',
    { i: { providerId: id, url: node.url } },
    { as: COORDINATOR },
  );
  expect(response.errors).toBeUndefined();
  return node;
}

async function harvestNow(providerId: string, fullSync = false) {
  const response = await t.graphql(HARVEST_NOW, { p: providerId, full: fullSync }, { as: COORDINATOR });
  expect(response.errors).toBeUndefined();
  return response.data!.harvestNow;
}

async function statusOf(serviceId: string): Promise<string | undefined> {
  const { rows } = await sql<{ status: string }>`select status from service where id = ${serviceId}`.execute(
    t.db,
  );
  return rows[0]?.status;
}

describe('a listing file moved into the folder with an older modification time', () => {
  it('is harvested by the next incremental run, not only by the next full sync (up to a day later)', async () => {
    const node = await provider('umzug-datei', [makeListing({ id: 'vorhanden' })]);
    expect(await harvestNow('umzug-datei')).toMatchObject({ mode: 'FULL', created: 1 });

    // The provider prepares the file elsewhere (yesterday) and moves it in: `mv`, `rsync -a`,
    // `cp -p` and `tar x` all keep the old modification time.
    const staging = mkdtempSync(join(tmpdir(), 'vc-staging-'));
    closers.push(async () => rmSync(staging, { recursive: true, force: true }));
    const prepared = join(staging, 'neu.json');
    writeFileSync(prepared, JSON.stringify(makeListing({ id: 'neu' })));
    const yesterday = new Date(Date.now() - 86_400_000);
    utimesSync(prepared, yesterday, yesterday);
    renameSync(prepared, join(node.dir, 'neu.json'));

    const run = await harvestNow('umzug-datei');
    expect(run.mode).toBe('INCREMENTAL');
    expect(run.created).toBe(1);
    expect(await statusOf('umzug-datei/neu')).toBe('ACTIVE');
  });
});

describe('a listing file caught half-written by a full sync', () => {
  it('is not withdrawn from the catalogue: the node keeps serving its last readable version', async () => {
    const listings = ['eins', 'zwei', 'drei', 'vier'].map((id) => makeListing({ id }));
    const node = await provider('halb-geschrieben', listings);
    expect(await harvestNow('halb-geschrieben')).toMatchObject({ mode: 'FULL', created: 4 });

    // An editor that truncates and rewrites in place (or an upload in progress) leaves the file
    // half-written for a moment; the daily full sync reads it just then.
    const path = join(node.dir, 'zwei.json');
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, text.slice(0, Math.floor(text.length / 2)));

    const run = await harvestNow('halb-geschrieben', true);
    expect(run.mode).toBe('FULL');
    expect(run.withdrawn).toBe(0);
    expect(await statusOf('halb-geschrieben/zwei')).toBe('ACTIVE');
    // The node still says the file cannot be read, and that it serves what it last read.
    const endpoint = await fetch(node.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ endpoint { unreadable { file reason servingLastReadable } } }' }),
    });
    expect(((await endpoint.json()) as any).data.endpoint.unreadable).toEqual([
      { file: 'zwei.json', reason: expect.stringContaining('cannot be parsed'), servingLastReadable: true },
    ]);
  });
});
