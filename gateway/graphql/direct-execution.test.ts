import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeListing, publishAll, registerOrganisation } from '../../test/helpers/listings.ts';
import {
  scrapeMetrics,
  startTestServer,
  testConfig,
  type TestServer,
} from '../../test/helpers/test-server.ts';
import { CONTENT_TYPE_BY_ACCEPT } from './direct-execution.ts';

// A known query (run once through Apollo Server, compiled) is answered without Apollo Server's
// pipeline; the answer must be byte for byte the one Apollo Server gives. `apollo` never compiles,
// so Apollo Server answers every request; `direct` compiles at the first execution, so from the
// second on it answers directly what it can. Both share one database, without response cache.
const NO_CACHE = { RESPONSE_CACHE_MAX_BYTES: '0' };
let apollo: TestServer;
let direct: TestServer;

const DETAIL = `query Detail($id: ID!) {
  service(id: $id) {
    id title version status
    provider { id name land { name } }
    ozgLeistungen { id name themenfeld { name } }
    plans { id name pricingModel priceEur }
    certification { status validUntil }
  }
}`;
const PAGE = `query Page($search: String, $first: Int) {
  services(search: $search, first: $first) {
    totalCount
    edges { node { id title provider { id name serviceCount } ozgLeistungen { id services(first: 20) { id } } } }
  }
}`;

/** The graphql settings of both servers: no response cache, and a cost limit that a page of 2 passes and a page of 50 does not (its nested lists multiply). */
function graphqlSettings(compileAfterUses: number) {
  const graphql = testConfig({}, NO_CACHE).graphql;
  return { ...graphql, compileAfterUses, limits: { ...graphql.limits, maxCost: 5_000 } };
}

beforeAll(async () => {
  apollo = await startTestServer({ config: { graphql: graphqlSettings(0) } });
  direct = await startTestServer({ database: apollo.database, config: { graphql: graphqlSettings(1) } });
  await registerOrganisation(apollo.db, 'nordwerk', 'PROVIDER', 'DE-SH');
  await registerOrganisation(apollo.db, 'stadt-kiel', 'AUTHORITY', 'DE-SH');
  await publishAll(
    apollo.db,
    'nordwerk',
    Array.from({ length: 8 }, (_, i) =>
      makeListing({
        id: `wohngeld-${i}`,
        title: `Wohngeld Antrag ${i}`,
        ozgIds: ['10092'],
        plans: [{ id: 'basis', name: 'Basis', pricingModel: 'FLAT', priceEur: 100 + i }],
      }),
    ),
  );
});

afterAll(async () => {
  await direct?.close();
  await apollo?.close();
});

interface Sent {
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
  headers?: Record<string, string>;
}

/** The raw response: status, content type and the body's exact text. */
async function send(server: TestServer, request: Sent) {
  const { query, variables, operationName } = request;
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...request.headers },
    body: JSON.stringify({ query, variables, operationName }),
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    body: await response.text(),
  };
}

async function directAnswers(): Promise<Record<string, number>> {
  const metrics = await scrapeMetrics(direct.url);
  const outcomes = ['answered', 'context_failed', 'refused', 'variables_refused', 'errors'];
  return Object.fromEntries(
    outcomes.map((o) => [o, metrics.get(`catalogue_graphql_direct_requests_total{outcome="${o}"}`) ?? 0]),
  );
}

/**
 * Sends a request to both servers with `post`, twice to `direct` (the first run makes it known), and
 * expects the same answer from all three; returns how `direct` handled the second request.
 */
async function compareWith<T>(post: (server: TestServer) => Promise<T>): Promise<Record<string, number>> {
  const expected = await post(apollo);
  expect(await post(direct)).toEqual(expected);
  const before = await directAnswers();
  expect(await post(direct)).toEqual(expected);
  const after = await directAnswers();
  return Object.fromEntries(
    Object.entries(after)
      .map(([o, n]) => [o, n - before[o]!])
      .filter(([, n]) => n),
  );
}

const compare = (request: Sent) => compareWith((server) => send(server, request));

describe('direct execution of known queries', () => {
  it('answers a detail exactly as Apollo Server does', async () => {
    const handled = await compare({ query: DETAIL, variables: { id: 'nordwerk/wohngeld-3' } });
    expect(handled).toEqual({ answered: 1 });
  });

  it('answers another request for the same text from the kept operation, with its own variables', async () => {
    await send(direct, { query: DETAIL, variables: { id: 'nordwerk/wohngeld-1' } });
    for (const id of ['nordwerk/wohngeld-5', 'nordwerk/gibt-es-nicht']) {
      const before = (await directAnswers()).answered!;
      const answer = await send(direct, { query: DETAIL, variables: { id } });
      expect(answer).toEqual(await send(apollo, { query: DETAIL, variables: { id } }));
      expect((await directAnswers()).answered).toBe(before + 1);
    }
  });

  it('reports the SQL statements the request sent, as Apollo Server does', async () => {
    const answer = await send(direct, { query: DETAIL, variables: { id: 'nordwerk/wohngeld-2' } });
    expect(JSON.parse(answer.body).extensions).toEqual({ sqlStatements: 3 });
  });

  it('chooses the operation the request names', async () => {
    const query = `query A { laender { code } } query B { themenfelder { name } }`;
    expect(await compare({ query, operationName: 'A' })).toEqual({ answered: 1 });
    expect(await compare({ query, operationName: 'B' })).toEqual({ answered: 1 });
    const a = JSON.parse((await send(direct, { query, operationName: 'A' })).body);
    expect(Object.keys(a.data)).toEqual(['laender']);
  });

  for (const accept of CONTENT_TYPE_BY_ACCEPT.keys()) {
    it(`answers with the media type Apollo Server chooses for Accept: ${JSON.stringify(accept ?? null)}`, async () => {
      const request = { query: DETAIL, variables: { id: 'nordwerk/wohngeld-4' } };
      // undici's fetch sends "*/*" when no Accept header is given; a raw request sends none.
      const handled =
        accept === undefined
          ? await compareWithoutAccept(request)
          : await compare({ ...request, headers: { accept } });
      expect(handled).toEqual({ answered: 1 });
    });
  }

  it('leaves other Accept headers to Apollo Server', async () => {
    const request = {
      query: DETAIL,
      variables: { id: 'nordwerk/wohngeld-4' },
      headers: { accept: 'application/json;q=0.5, application/graphql-response+json' },
    };
    expect(await compare(request)).toEqual({});
    const refused = await compare({ ...request, headers: { accept: 'text/html' } });
    expect(refused).toEqual({});
    expect((await send(direct, { ...request, headers: { accept: 'text/html' } })).status).toBe(406);
  });
});

describe('direct execution hands Apollo Server what it must answer', () => {
  it('a refused check: the cost limit with variables that make the query too big', async () => {
    expect(await compare({ query: PAGE, variables: { search: 'Wohngeld', first: 2 } })).toEqual({
      answered: 1,
    });
    const handled = await compare({ query: PAGE, variables: { search: 'Wohngeld', first: 50 } });
    expect(handled).toEqual({ refused: 1 });
    const answer = JSON.parse((await send(direct, { query: PAGE, variables: { first: 50 } })).body);
    expect(answer.errors[0].extensions.code).toBe('QUERY_LIMIT_EXCEEDED');
  });

  it('variables that do not fit the operation (400, BAD_USER_INPUT)', async () => {
    await send(direct, { query: DETAIL, variables: { id: 'nordwerk/wohngeld-1' } });
    const handled = await compare({ query: DETAIL, variables: { id: 17.5 } });
    expect(handled).toEqual({ variables_refused: 1 });
    expect((await send(direct, { query: DETAIL, variables: {} })).status).toBe(400);
  });

  it('an answer with errors (a field refused to an anonymous caller, the rest answered)', async () => {
    const query = `{ laender { code } serviceSubscriptions { totalCount } }`;
    expect(await compare({ query })).toEqual({ errors: 1 });
    const answer = JSON.parse((await send(direct, { query })).body);
    expect(answer.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('credentials that fail (401)', async () => {
    await send(direct, { query: DETAIL, variables: { id: 'nordwerk/wohngeld-1' } });
    const request = {
      query: DETAIL,
      variables: { id: 'nordwerk/wohngeld-1' },
      headers: { 'x-dev-principal': 'kaputt' },
    };
    expect(await compare(request)).toEqual({ context_failed: 1 });
    expect((await send(direct, request)).status).toBe(401);
  });

  it('bodies Apollo Server reads differently: extensions, variables that are not an object', async () => {
    await send(direct, { query: DETAIL, variables: { id: 'nordwerk/wohngeld-1' } });
    for (const body of [
      {
        query: DETAIL,
        variables: { id: 'nordwerk/wohngeld-1' },
        extensions: { persistedQuery: { version: 1, sha256Hash: 'x' } },
      },
      { query: DETAIL, variables: [{ id: 'nordwerk/wohngeld-1' }] },
      { query: DETAIL, variables: '{"id":"nordwerk/wohngeld-1"}' },
      { query: DETAIL, variables: { id: 'nordwerk/wohngeld-1' }, operationName: 7 },
    ]) {
      const before = await directAnswers();
      const post = (server: TestServer) =>
        fetch(`${server.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }).then(async (r) => ({ status: r.status, body: await r.text() }));
      expect(await post(direct)).toEqual(await post(apollo));
      expect(await directAnswers()).toEqual(before);
    }
  });

  it('mutations: never known, Apollo Server runs each', async () => {
    const query = `mutation ($id: ID!) { withdrawService(id: $id, reason: "Test") { id status } }`;
    const request = { query, variables: { id: 'nordwerk/wohngeld-7' } };
    expect(await compare(request)).toEqual({});
  });
});

/** As `compare`, with requests that carry no Accept header at all (node:http, not fetch). */
async function compareWithoutAccept(request: Sent): Promise<Record<string, number>> {
  const { request: httpRequest } = await import('node:http');
  const body = JSON.stringify({ query: request.query, variables: request.variables });
  return compareWith(
    (server) =>
      new Promise<{ status: number; contentType: string | undefined; body: string }>((resolve, reject) => {
        const req = httpRequest(
          `${server.url}/graphql`,
          { method: 'POST', headers: { 'content-type': 'application/json' } },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (text += chunk));
            res.on('end', () =>
              resolve({ status: res.statusCode!, contentType: res.headers['content-type'], body: text }),
            );
          },
        );
        req.on('error', reject);
        req.end(body);
      }),
  );
}
