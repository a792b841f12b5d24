import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeListing, registerOrganisation } from '../../test/helpers/listings.ts';
import { startFaultServer } from '../../test/helpers/provider-nodes.ts';
import { startTestServer, testConfig, type TestServer } from '../../test/helpers/test-server.ts';

// An endpoint's `asOf` is the watermark of the next incremental harvest: read as strictly as any
// DateTime (RFC 3339 with its offset). Anything else fails the run as BAD_RESPONSE, where a 30 February
// rolled over, free text was taken and a time without an offset was read in the host's time zone.

const COORDINATOR = 'coordinator@koordinierung';
let t: TestServer;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  t = await startTestServer({
    config: {
      harvest: {
        ...testConfig().harvest,
        pollIntervalMs: 0,
        requestTimeoutMs: 1000,
        retries: 0,
        retryBackoffMs: 10,
      },
    },
  });
  await registerOrganisation(t.db, 'koordinierung', 'COORDINATOR');
});

afterAll(async () => {
  await t?.close();
  for (const close of closers.reverse()) await close();
});

const HARVEST_NOW = `mutation ($p: ID!) { harvestNow(providerId: $p, fullSync: true) { status errorCode error } }`;

describe('the asOf of a provider endpoint is read as strictly as any other DateTime', () => {
  it.each([
    ['asof-leap', '2026-02-30T10:00:00.000Z'],
    ['asof-local', '2026-11-27T10:00:00'],
    ['asof-text', 'November 27, 2026 10:00'],
    ['asof-date', '2026-11-27'],
  ])('%s: an asOf of %j fails the run as BAD_RESPONSE', async (providerId, asOf) => {
    const listing = makeListing({ id: 'eins' });
    const body = JSON.stringify({
      data: {
        listings: {
          asOf,
          nodes: [{ id: listing.id, document: listing }],
          pageInfo: { hasNextPage: false, endCursor: null },
        },
      },
    });
    const server = await startFaultServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
    });
    closers.push(() => server.close());
    await registerOrganisation(t.db, providerId, 'PROVIDER');
    const registered = await t.graphql(
      'mutation ($i: HarvestEndpointInput!) { registerHarvestEndpoint(input: $i) { url } }',
      { i: { providerId, url: server.url } },
      { as: COORDINATOR },
    );
    expect(registered.errors).toBeUndefined();

    const response = await t.graphql(HARVEST_NOW, { p: providerId }, { as: COORDINATOR });
    expect(response.errors).toBeUndefined();
    expect(response.data!.harvestNow).toMatchObject({ status: 'FAILED', errorCode: 'BAD_RESPONSE' });
  });
});
