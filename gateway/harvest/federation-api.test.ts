import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeListing, publishAll, registerOrganisation } from '../../test/helpers/listings.ts';
import {
  startFaultServer,
  startProviderNode,
  type TestProviderNode,
} from '../../test/helpers/provider-nodes.ts';
import { startTestServer, testConfig, type TestServer } from '../../test/helpers/test-server.ts';
import {
  startIdentityProvider,
  type IdentityProvider,
} from '../../services/identity-provider/identity-provider.ts';
import { checkEndpointUrl } from './endpoint-url.ts';
import { createHarvester } from './harvester.ts';
import { registerEndpoint } from './store/harvest-endpoints.ts';

const COORDINATOR = 'coordinator@koordinierung';
const REGISTER = `mutation ($i: HarvestEndpointInput!) {
  registerHarvestEndpoint(input: $i) { provider { id } url requiresToken intervalSeconds fullSyncIntervalSeconds enabled nextRunAt }
}`;

let t: TestServer;
let node: TestProviderNode;

beforeAll(async () => {
  t = await startTestServer({ config: { harvest: { ...testConfig().harvest, pollIntervalMs: 0 } } });
  await registerOrganisation(t.db, 'koordinierung', 'COORDINATOR');
  await registerOrganisation(t.db, 'nordwerk', 'PROVIDER');
  await registerOrganisation(t.db, 'suedwerk', 'PROVIDER');
  await registerOrganisation(t.db, 'stadt-kiel', 'AUTHORITY');
  node = await startProviderNode([makeListing({ id: 'eins' })]);
});

afterAll(async () => {
  await t?.close();
  await node?.close();
});

async function endpointCount(): Promise<number> {
  return (await sql<{ n: number }>`select count(*)::int as n from harvest_endpoint`.execute(t.db)).rows[0]!.n;
}

function code(response: { errors?: { extensions: { code: string } }[] }): string | undefined {
  return response.errors?.[0]?.extensions.code;
}

describe('registerHarvestEndpoint refuses, and stores nothing', () => {
  it.each([
    ['no sign-in', undefined, 'nordwerk', 'UNAUTHENTICATED'],
    ["another provider's endpoint", 'provider@suedwerk', 'nordwerk', 'FORBIDDEN'],
    ['an authority', 'authority@stadt-kiel', 'stadt-kiel', 'FORBIDDEN'],
    ['an unknown organisation', COORDINATOR, 'gibt-es-nicht', 'NOT_FOUND'],
    ['an organisation that is not a provider', COORDINATOR, 'stadt-kiel', 'BAD_USER_INPUT'],
  ])('%s', async (_case, as, providerId, expected) => {
    const response = await t.graphql(REGISTER, { i: { providerId, url: node.url } }, as ? { as } : {});
    expect(code(response)).toBe(expected);
    expect(await endpointCount()).toBe(0);
  });

  it.each([
    ['not a URL', 'kein link'],
    ['not http(s)', 'ftp://example.org/graphql'],
    ['credentials in the URL', 'https://nutzer:geheim@example.org/graphql'],
    ['a cloud metadata address', 'http://169.254.169.254/latest'],
    ['a private address', 'https://10.1.2.3/graphql'],
    ['a unique-local IPv6 address', 'https://[fd00::1]/graphql'],
    ['a private address hidden in IPv6', 'https://[::ffff:192.168.0.1]/graphql'],
    ['longer than 2000 characters', `https://example.org/${'x'.repeat(2000)}`],
    ['longer than 2000 characters once normalised', `https://example.org/${'ä'.repeat(1900)}`],
  ])('a bad URL: %s (BAD_USER_INPUT)', async (_case, url) => {
    const response = await t.graphql(REGISTER, { i: { providerId: 'nordwerk', url } }, { as: COORDINATOR });
    expect(code(response)).toBe('BAD_USER_INPUT');
    expect(await endpointCount()).toBe(0);
  });

  it.each([[{ intervalSeconds: 5 }], [{ intervalSeconds: 700_000 }], [{ fullSyncIntervalSeconds: 0 }]])(
    'an interval out of range %j (BAD_USER_INPUT)',
    async (extra) => {
      const response = await t.graphql(
        REGISTER,
        { i: { providerId: 'nordwerk', url: node.url, ...extra } },
        { as: COORDINATOR },
      );
      expect(code(response)).toBe('BAD_USER_INPUT');
    },
  );

  it('requiresToken when the gateway has no harvest client (PRECONDITION_FAILED)', async () => {
    const response = await t.graphql(
      REGISTER,
      { i: { providerId: 'nordwerk', url: node.url, requiresToken: true } },
      { as: COORDINATOR },
    );
    expect(code(response)).toBe('PRECONDITION_FAILED');
    expect(await endpointCount()).toBe(0);
  });

  it('in production only https URLs', () => {
    const production = { allowHttp: false, allowedAddresses: [] };
    expect(() => checkEndpointUrl('http://provider.example/graphql', production)).toThrow(/must use https/);
    expect(checkEndpointUrl('https://provider.example/graphql', production)).toBe(
      'https://provider.example/graphql',
    );
    expect(() => checkEndpointUrl('https://127.0.0.1/graphql', production)).toThrow(/loopback/);
  });
});

describe('registering, pausing and running an endpoint', () => {
  it('a provider registers its own endpoint, with the default intervals', async () => {
    const response = await t.graphql(
      REGISTER,
      { i: { providerId: 'nordwerk', url: node.url } },
      { as: 'provider@nordwerk' },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data!.registerHarvestEndpoint).toMatchObject({
      provider: { id: 'nordwerk' },
      url: node.url,
      requiresToken: false,
      intervalSeconds: 900,
      fullSyncIntervalSeconds: 86400,
      enabled: true,
    });
    expect(Date.parse(response.data!.registerHarvestEndpoint.nextRunAt)).toBeLessThanOrEqual(Date.now());
  });

  it('a paused endpoint is neither scheduled nor run on request, until it is resumed', async () => {
    const pause = await t.graphql(
      'mutation { setHarvestEndpointEnabled(providerId: "nordwerk", enabled: false) { enabled } }',
      {},
      { as: 'provider@nordwerk' },
    );
    expect(pause.data!.setHarvestEndpointEnabled.enabled).toBe(false);
    expect(await t.server.harvester.harvestDue(new Date(Date.now() + 10 ** 9))).toEqual([]);
    const now = await t.graphql(
      'mutation { harvestNow(providerId: "nordwerk") { id } }',
      {},
      { as: 'provider@nordwerk' },
    );
    expect(code(now)).toBe('PRECONDITION_FAILED');
    await t.graphql(
      'mutation { setHarvestEndpointEnabled(providerId: "nordwerk", enabled: true) { enabled } }',
      {},
      {
        as: COORDINATOR,
      },
    );
    const runs = await t.server.harvester.harvestDue(new Date());
    expect(runs.map((r) => [r.provider_id, r.status])).toEqual([['nordwerk', 'SUCCEEDED']]);
  });

  it('refuses to run or pause an endpoint that does not exist (NOT_FOUND), or for someone else (FORBIDDEN)', async () => {
    expect(
      code(
        await t.graphql('mutation { harvestNow(providerId: "suedwerk") { id } }', {}, { as: COORDINATOR }),
      ),
    ).toBe('NOT_FOUND');
    expect(
      code(
        await t.graphql(
          'mutation { setHarvestEndpointEnabled(providerId: "suedwerk", enabled: false) { enabled } }',
          {},
          {
            as: COORDINATOR,
          },
        ),
      ),
    ).toBe('NOT_FOUND');
    expect(
      code(
        await t.graphql(
          'mutation { harvestNow(providerId: "nordwerk") { id } }',
          {},
          { as: 'provider@suedwerk' },
        ),
      ),
    ).toBe('FORBIDDEN');
  });

  it.each([
    ['harvestNow', 'mutation { harvestNow(providerId: "stadt-kiel") { id } }'],
    [
      'setHarvestEndpointEnabled',
      'mutation { setHarvestEndpointEnabled(providerId: "stadt-kiel", enabled: false) { enabled } }',
    ],
  ])(
    'refuses %s to an authority, for its own id too: it lacks the role (FORBIDDEN, not NOT_FOUND)',
    async (_name, query) => {
      const response = await t.graphql(query, {}, { as: 'authority@stadt-kiel' });
      expect(code(response)).toBe('FORBIDDEN');
      expect(response.errors?.[0]?.message).toContain('needs a provider');
    },
  );

  it('a changed URL starts over with a full sync, due at once', async () => {
    const other = await startProviderNode([makeListing({ id: 'eins' }), makeListing({ id: 'zwei' })]);
    try {
      const response = await t.graphql(
        REGISTER,
        { i: { providerId: 'nordwerk', url: other.url } },
        { as: COORDINATOR },
      );
      expect(response.errors).toBeUndefined();
      const [run] = await t.server.harvester.harvestDue(new Date());
      expect(run).toMatchObject({
        provider_id: 'nordwerk',
        mode: 'FULL',
        fetched: 2,
        created: 1,
        unchanged: 1,
      });
      expect(run!.endpoint_url).toBe(other.url);
    } finally {
      await other.close();
    }
  });

  it('lists endpoints for coordinators and providers only, with runs(first) from 1 to 100', async () => {
    expect(code(await t.graphql('{ harvestEndpoints { url } }'))).toBe('UNAUTHENTICATED');
    expect(code(await t.graphql('{ harvestEndpoints { url } }', {}, { as: 'authority@stadt-kiel' }))).toBe(
      'FORBIDDEN',
    );
    expect(
      (await t.graphql('{ harvestEndpoints { url } }', {}, { as: 'provider@suedwerk' })).data!
        .harvestEndpoints,
    ).toEqual([]);
    // The role follows the organisation: a provider's member whose token also says coordinator
    // sees its own endpoint, not every endpoint, and is not refused.
    expect(
      (await t.graphql('{ harvestEndpoints { url } }', {}, { as: 'provider,coordinator@suedwerk' })).data!
        .harvestEndpoints,
    ).toEqual([]);
    const bad = await t.graphql('{ harvestEndpoints { runs(first: 0) { id } } }', {}, { as: COORDINATOR });
    expect(code(bad)).toBe('BAD_USER_INPUT');
    expect(
      (await t.graphql('{ harvestRun(id: "999999") { id } }', {}, { as: COORDINATOR })).data!.harvestRun,
    ).toBeNull();
  });

  it("answers another provider's run as one that does not exist, and asks for a sign-in first", async () => {
    const { rows } = await sql<{ id: string }>`
      insert into harvest_run (provider_id, endpoint_url, mode, trigger, status, claimed_by, finished_at)
      values ('nordwerk', 'https://katalog.nordwerk.example/graphql', 'FULL', 'MANUAL', 'SUCCEEDED', 'test', now())
      returning id::text as id`.execute(t.db);
    const RUN = 'query ($id: ID!) { harvestRun(id: $id) { id } }';
    const existing = { id: rows[0]!.id };
    const missing = { id: '987654' };
    for (const as of ['provider@suedwerk', 'authority@stadt-kiel']) {
      for (const variables of [existing, missing]) {
        const response = await t.graphql(RUN, variables, { as });
        expect(response.errors).toBeUndefined();
        expect(response.data!.harvestRun).toBeNull();
      }
    }
    for (const variables of [existing, missing])
      expect(code(await t.graphql(RUN, variables))).toBe('UNAUTHENTICATED');
    for (const as of ['provider@nordwerk', COORDINATOR]) {
      expect((await t.graphql(RUN, existing, { as })).data!.harvestRun).toEqual(existing);
    }
  });

  it('shows lastHarvestedAt on harvested services only', async () => {
    await publishAll(t.db, 'suedwerk', [makeListing({ id: 'gepusht' })]);
    const response = await t.graphql(
      '{ a: service(id: "nordwerk/eins") { lastHarvestedAt } b: service(id: "suedwerk/gepusht") { lastHarvestedAt } }',
    );
    expect(Date.parse(response.data!.a.lastHarvestedAt)).toBeLessThanOrEqual(Date.now());
    expect(response.data!.b.lastHarvestedAt).toBeNull();
  });

  it('costs the same number of SQL statements for one endpoint as for several', async () => {
    const query = `{ harvestEndpoints { provider { id name } circuit heldRun { id } runs(first: 5) { id provider { id } } } }`;
    const one = await t.graphql(query, {}, { as: COORDINATOR });
    expect(one.data!.harvestEndpoints).toHaveLength(1);
    for (const id of ['westwerk', 'ostwerk', 'mittelwerk']) {
      await registerOrganisation(t.db, id, 'PROVIDER');
      await t.graphql(REGISTER, { i: { providerId: id, url: node.url } }, { as: COORDINATOR });
    }
    await t.server.harvester.harvestDue(new Date());
    const four = await t.graphql(query, {}, { as: COORDINATOR });
    expect(four.data!.harvestEndpoints).toHaveLength(4);
    expect(four.extensions!.sqlStatements).toBe(one.extensions!.sqlStatements);
  });
});

describe('endpoints that require a client-credentials token', () => {
  const audience = 'urn:verwaltungscloud:provider-endpoints';
  let idp: IdentityProvider;
  let secured: TestProviderNode;

  beforeAll(async () => {
    idp = await startIdentityProvider({
      audience,
      machineClients: [
        {
          clientId: 'catalogue-harvester',
          clientSecret: 'harvest-secret',
          roles: [],
          organisationId: 'koordinierung',
        },
      ],
    });
    secured = await startProviderNode([makeListing({ id: 'geschuetzt' })], {
      auth: { issuer: idp.issuer, audience },
    });
    for (const [providerId, requiresToken] of [
      ['tresor', true],
      ['offen', false],
    ] as const) {
      await registerOrganisation(t.db, providerId, 'PROVIDER');
      // Registered directly: this gateway has no harvest client, so the API would refuse requiresToken.
      await registerEndpoint(t.db, {
        providerId,
        url: secured.url,
        requiresToken,
        intervalSeconds: 900,
        fullSyncIntervalSeconds: 86400,
        registeredBy: 'test',
      });
    }
  });

  afterAll(async () => {
    await secured?.close();
    await idp?.close();
  });

  /** A harvester on the same database, configured with a harvest client. */
  function harvesterWith(clientSecret: string) {
    return createHarvester({
      db: t.db,
      hooks: {},
      config: {
        ...t.server.harvester.config,
        client: { issuer: idp.issuer, clientId: 'catalogue-harvester', clientSecret, scope: null },
      },
    });
  }

  it('harvests with the token from the issuer, and fails with UNAUTHORIZED without it', async () => {
    const harvester = harvesterWith('harvest-secret');
    expect(await harvester.harvestNow('tresor')).toMatchObject({ status: 'SUCCEEDED', created: 1 });
    expect(await harvester.harvestNow('offen')).toMatchObject({
      status: 'FAILED',
      error_code: 'UNAUTHORIZED',
    });
  });

  it('asks for a new token once when an endpoint refuses a cached one before it expires', async () => {
    // An endpoint that revoked a token (or stopped trusting its signing key) refuses it although it
    // has not expired: the harvester failed every run as UNAUTHORIZED until the cached token ran out.
    const seen: string[] = [];
    const revoked = new Set<string>();
    let refuseAll = false;
    const endpoint = await startFaultServer((req, res) => {
      const token = String(req.headers.authorization).replace(/^Bearer /, '');
      seen.push(token);
      req.resume();
      req.on('end', () => {
        if (refuseAll || revoked.has(token)) return void res.writeHead(401).end();
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            data: {
              listings: {
                asOf: new Date().toISOString(),
                nodes: [{ id: 'widerrufen', document: makeListing({ id: 'widerrufen' }) }],
                pageInfo: { hasNextPage: false, endCursor: null },
              },
            },
          }),
        );
      });
    });
    await registerOrganisation(t.db, 'widerruf', 'PROVIDER');
    await registerEndpoint(t.db, {
      providerId: 'widerruf',
      url: endpoint.url,
      requiresToken: true,
      intervalSeconds: 900,
      fullSyncIntervalSeconds: 86400,
      registeredBy: 'test',
    });
    try {
      const harvester = harvesterWith('harvest-secret');
      expect(await harvester.harvestNow('widerruf')).toMatchObject({ status: 'SUCCEEDED' });
      revoked.add(seen[0]!);
      expect(await harvester.harvestNow('widerruf', { fullSync: true })).toMatchObject({
        status: 'SUCCEEDED',
      });
      expect(seen).toHaveLength(3);
      expect(seen[1]).toBe(seen[0]);
      expect(seen[2]).not.toBe(seen[0]);
      // A token fetched for this very request and refused is not replaced: a new one would be too.
      refuseAll = true;
      const fresh = await harvesterWith('harvest-secret').harvestNow('widerruf', { fullSync: true });
      expect(fresh).toMatchObject({ status: 'FAILED', error_code: 'UNAUTHORIZED' });
      expect(seen).toHaveLength(4);
    } finally {
      await t.db
        .updateTable('harvest_endpoint')
        .set({ enabled: false })
        .where('provider_id', '=', 'widerruf')
        .execute();
      await endpoint.close();
    }
  });

  it('fails with TOKEN_UNAVAILABLE when the issuer refuses the harvester', async () => {
    const run = await harvesterWith('falsch').harvestNow('tresor', { fullSync: true });
    expect(run).toMatchObject({ status: 'FAILED', error_code: 'TOKEN_UNAVAILABLE' });
  });

  it('fails with TOKEN_UNAVAILABLE when the gateway has no harvest client', async () => {
    const run = await t.server.harvester.harvestNow('tresor');
    expect(run).toMatchObject({ status: 'FAILED', error_code: 'TOKEN_UNAVAILABLE' });
  });
});
