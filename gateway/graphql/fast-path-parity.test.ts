import { buildSchema, execute, parse, type GraphQLError, type GraphQLFormattedError } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeListing, publishAll, registerOrganisation } from '../../test/helpers/listings.ts';
import { scrapeMetrics, startTestServer, type TestServer } from '../../test/helpers/test-server.ts';
import { createFormatError } from '../errors.ts';

// The fast path (compiled execution with graphql-jit, direct execution) against Apollo Server with
// graphql-js, where graphql-jit's own handling of operations and variables differs. `interpreted`
// never compiles (graphql-js answers everything); `compiled` compiles at the first execution, so a
// second identical request is answered compiled/directly; `defaults` uses the shipped default
// GRAPHQL_COMPILE_AFTER_USES (2). No response cache anywhere, so that every request executes.
const NO_CACHE = { RESPONSE_CACHE_MAX_BYTES: '0' };
let interpreted: TestServer;
let compiled: TestServer;
let defaults: TestServer;

beforeAll(async () => {
  interpreted = await startTestServer({ env: { ...NO_CACHE, GRAPHQL_COMPILE_AFTER_USES: '0' } });
  compiled = await startTestServer({
    database: interpreted.database,
    env: { ...NO_CACHE, GRAPHQL_COMPILE_AFTER_USES: '1' },
  });
  defaults = await startTestServer({
    database: interpreted.database,
    env: { ...NO_CACHE, GRAPHQL_COMPILE_AFTER_USES: '2' },
  });
  await registerOrganisation(interpreted.db, 'nordwerk', 'PROVIDER', 'DE-SH');
  await publishAll(
    interpreted.db,
    'nordwerk',
    Array.from({ length: 3 }, (_, i) =>
      makeListing({ id: `wohngeld-${i}`, title: `Wohngeld ${i}`, ozgIds: ['10092'] }),
    ),
  );
});

afterAll(async () => {
  await defaults?.close();
  await compiled?.close();
  await interpreted?.close();
});

async function post(server: TestServer, body: unknown) {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: JSON.parse(text) as { data?: unknown; errors?: any[] } };
}

/** What graphql-js answers, and what the fast path answers to the same request sent twice. */
async function bothWays(body: unknown) {
  const expected = await post(interpreted, body);
  await post(compiled, body); // makes the operation known and compiled
  const fast = await post(compiled, body);
  const strip = (r: { status: number; json: any }) => ({
    status: r.status,
    data: r.json.data,
    errors: r.json.errors,
  });
  return { expected: strip(expected), fast: strip(fast) };
}

describe('operation selection', () => {
  it('answers an unknown operationName with OPERATION_RESOLUTION_FAILURE (400) on every request, not 500 once compiling starts', async () => {
    const wrongName = { query: 'query A { __typename }', operationName: 'B' };
    const severalUnnamed = { query: 'query A { __typename } query B { laender { code } }' };
    const answers = [];
    for (const body of [wrongName, wrongName, wrongName, severalUnnamed, severalUnnamed]) {
      const { status, json } = await post(defaults, body);
      answers.push({ status, code: json.errors?.[0]?.extensions?.code });
    }
    expect(answers).toEqual(
      Array.from({ length: 5 }, () => ({ status: 400, code: 'OPERATION_RESOLUTION_FAILURE' })),
    );
  });
});

describe('variable coercion and null handling on the fast path', () => {
  it('@skip(if: $x) with a nullable Boolean variable sent as null: the fast path answers as graphql-js does', async () => {
    const { expected, fast } = await bothWays({
      query: 'query ($x: Boolean = true) { laender @skip(if: $x) { code } themenfelder { id } }',
      variables: { x: null },
    });
    expect(fast).toEqual(expected);
  });

  it('@include(if: $x) with a nullable Boolean variable sent as null: the fast path answers as graphql-js does', async () => {
    const { expected, fast } = await bothWays({
      query: 'query ($x: Boolean = true) { laender @include(if: $x) { code } themenfelder { id } }',
      variables: { x: null },
    });
    expect(fast).toEqual(expected);
  });

  it('an input-object variable sent as a JSON array is refused (400 BAD_USER_INPUT) on the fast path too', async () => {
    const { expected, fast } = await bothWays({
      query: 'query ($f: ServiceFilter) { services(filter: $f) { totalCount } }',
      variables: { f: [] },
    });
    expect(expected.status).toBe(400);
    expect(expected.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(fast).toEqual(expected);
  });

  it('null for a non-null argument with a default through a variable: the fast path answers as graphql-js does', async () => {
    const { expected, fast } = await bothWays({
      query: 'query ($n: Int) { ozgLeistung(id: "10092") { services(first: $n) { id } } }',
      variables: { n: null },
    });
    expect(expected.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(fast).toEqual(expected);
  });

  it('direct execution hands such requests to Apollo Server before anything runs', async () => {
    const handedOver = async () =>
      (await scrapeMetrics(compiled.url)).get(
        'catalogue_graphql_direct_requests_total{outcome="variables_refused"}',
      ) ?? 0;
    const before = await handedOver();
    await bothWays({
      query: 'query Handed($f: ServiceFilter) { services(filter: $f) { totalCount } }',
      variables: { f: [] },
    });
    await bothWays({
      query: 'query HandedSkip($x: Boolean = true) { laender @skip(if: $x) { code } }',
      variables: { x: null },
    });
    expect((await handedOver()) - before).toBe(2);
  });

  it('keeps answering on the fast path what graphql-jit treats as graphql-js does: defaults, values, objects', async () => {
    const requests = [
      {
        query: 'query Skip($x: Boolean = true) { laender @skip(if: $x) { code } themenfelder { id } }',
        variables: { x: false },
      },
      {
        query: 'query SkipDefault($x: Boolean = true) { laender @skip(if: $x) { code } themenfelder { id } }',
        variables: {},
      },
      {
        query: 'query First($n: Int) { ozgLeistung(id: "10092") { services(first: $n) { id } } }',
        variables: { n: 2 },
      },
      {
        query: 'query Filter($f: ServiceFilter) { services(filter: $f) { totalCount } }',
        variables: { f: { land: ['DE-SH'] } },
      },
    ];
    const answered = async () =>
      (await scrapeMetrics(compiled.url)).get(
        'catalogue_graphql_direct_requests_total{outcome="answered"}',
      ) ?? 0;
    const before = await answered();
    for (const body of requests) {
      const { expected, fast } = await bothWays(body);
      expect(fast).toEqual(expected);
      expect(fast.errors).toBeUndefined();
    }
    // The second request of each text was answered directly, from the compiled operation.
    expect((await answered()) - before).toBe(requests.length);
  });
});

describe('variable defaults', () => {
  it("passes a custom scalar's default (DateTime) to the resolver parsed, as graphql-js does", async () => {
    // graphql-jit inlines a default through JSON: the resolver got the text, not a Date, and
    // recordCheck failed with an internal error from the second request on.
    await registerOrganisation(interpreted.db, 'koordinierungsstelle', 'COORDINATOR', 'DE');
    const evidenceUrl = 'https://nachweise.example/nordwerk/wohngeld-0/bsi-c5-type2.pdf';
    const input = `{ serviceId: "nordwerk/wohngeld-0", criterion: "bsi-c5-type2", outcome: PASSED,
      evidenceUrl: "${evidenceUrl}", evidenceSha256: "${'ab'.repeat(32)}", validUntil: "2027-06-30T00:00:00Z" }`;
    const body = JSON.stringify({
      query: `mutation Record($input: RecordCheckInput = ${input}) { recordCheck(input: $input) { validUntil } }`,
    });
    const record = async (server: TestServer) => {
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-dev-principal': 'coordinator@koordinierungsstelle',
        },
        body,
      });
      return (await response.json()) as { data?: any; errors?: any[] };
    };
    const expected = await record(interpreted);
    expect(expected.errors).toBeUndefined();
    for (let i = 0; i < 2; i++) expect(await record(compiled)).toEqual(expected);
  });
});

describe('bad input gets a stable code, not INTERNAL_SERVER_ERROR', () => {
  it('null for a non-null argument with a default (OzgLeistung.services(first: Int! = 5)) through a variable is BAD_USER_INPUT', async () => {
    for (const server of [interpreted, compiled]) {
      const { json } = await post(server, {
        query: 'query ($n: Int) { ozgLeistung(id: "10092") { services(first: $n) { id } } }',
        variables: { n: null },
      });
      expect(json.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(json.errors?.[0]?.message).not.toBe('Internal server error');
    }
  });

  it('null for @skip(if:) through a variable is BAD_USER_INPUT, not an internal error', async () => {
    const { json } = await post(interpreted, {
      query: 'query ($x: Boolean = true) { laender @skip(if: $x) { code } }',
      variables: { x: null },
    });
    expect(json.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('internal failures graphql-js reports as GraphQLErrors without a code stay masked', async () => {
    const schema = buildSchema('type Query { name: String, count: Int! }');
    const rootValue = { name: { secret: 'internal' }, count: 1.5 };
    const result = await execute({ schema, document: parse('{ name count }'), rootValue });
    const format = createFormatError({ fieldSuggestions: true });
    const errors = (result.errors ?? []) as GraphQLError[];
    expect(errors).toHaveLength(2);
    for (const error of errors) {
      const formatted: GraphQLFormattedError = {
        ...error.toJSON(),
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      };
      expect(format(formatted, error)).toMatchObject({
        message: 'Internal server error',
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      });
    }
  });
});
