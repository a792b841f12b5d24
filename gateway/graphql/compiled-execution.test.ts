import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import {
  Kind,
  parse,
  print,
  type DocumentNode,
  type ExecutionResult,
  type OperationDefinitionNode,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeListing, publishAll, registerOrganisation } from '../../test/helpers/listings.ts';
import { scrapeMetrics, startTestServer, type TestServer } from '../../test/helpers/test-server.ts';
import { configFromEnv } from '../config.ts';
import { compiledExecution } from './compiled-execution.ts';

// Compiled execution must answer exactly as graphql-js does. Two gateways over one database: one
// interprets every request (GRAPHQL_COMPILE_AFTER_USES=0), one compiles every operation at once (1).
// Without the response cache, so that every request executes.
const NO_CACHE = { RESPONSE_CACHE_MAX_BYTES: '0' };
let interpreted: TestServer;
let compiled: TestServer;

beforeAll(async () => {
  interpreted = await startTestServer({ env: { ...NO_CACHE, GRAPHQL_COMPILE_AFTER_USES: '0' } });
  compiled = await startTestServer({
    database: interpreted.database,
    env: { ...NO_CACHE, GRAPHQL_COMPILE_AFTER_USES: '1' },
  });
  await registerOrganisation(interpreted.db, 'nordwerk', 'PROVIDER', 'DE-SH');
  await registerOrganisation(interpreted.db, 'suedwerk', 'PROVIDER', 'DE-BY');
  await registerOrganisation(interpreted.db, 'stadt-kiel', 'AUTHORITY', 'DE-SH');
  for (const provider of ['nordwerk', 'suedwerk']) {
    await publishAll(
      interpreted.db,
      provider,
      Array.from({ length: 6 }, (_, i) =>
        makeListing({
          id: `wohngeld-${i}`,
          title: `Wohngeld Antrag ${provider} ${i}`,
          ozgIds: ['10092'],
          availableIn: i % 2 ? ['DE-SH'] : ['DE-SH', 'DE-BY'],
          plans: [
            { id: 'basis', name: 'Basis', pricingModel: 'FLAT', priceEur: 100 + i },
            { id: 'fall', name: 'Je Fall', pricingModel: 'PER_CASE', priceEur: 2.5 },
          ],
        }),
      ),
    );
  }
});

afterAll(async () => {
  await compiled?.close();
  await interpreted?.close();
});

interface Case {
  name: string;
  query: string;
  variables?: Record<string, unknown>;
  as?: string;
}

const cases: Case[] = [
  {
    name: 'a search with facets, each node with its provider',
    query: `query ($search: String!, $filter: ServiceFilter) {
      services(search: $search, filter: $filter, first: 5) {
        totalCount
        facets { themenfeld { value label count } provider { value label count } land { value count } }
        edges { cursor node { id title provider { id name } } }
        pageInfo { hasNextPage endCursor }
      }
    }`,
    variables: { search: 'Wohngeld', filter: { land: ['DE-BY'] } },
  },
  {
    name: 'a detail with OZG-Leistungen, plans and certification',
    query: `query ($id: ID!) {
      service(id: $id) {
        id title summary description version status updatedAt
        provider { id name kind land { code name } serviceCount }
        ozgLeistungen { id name themenfeld { id name } }
        plans { id name pricingModel priceEur terms }
        certification { status validUntil }
      }
    }`,
    variables: { id: 'nordwerk/wohngeld-3' },
  },
  {
    name: 'fragments, aliases, __typename, @include and @skip',
    query: `query ($id: ID!, $withPlans: Boolean!, $short: Boolean!) {
      one: service(id: $id) { ...Card plans @include(if: $withPlans) { id } }
      two: service(id: "suedwerk/wohngeld-0") { ...Card description @skip(if: $short) }
      none: service(id: "nordwerk/gibt-es-nicht") { id }
      laender { code }
    }
    fragment Card on Service { __typename id title provider { __typename id } }`,
    variables: { id: 'nordwerk/wohngeld-1', withPlans: true, short: true },
  },
  {
    name: 'introspection',
    query: `{ __type(name: "Service") { name fields { name type { kind name ofType { name } } } } }`,
  },
  {
    name: 'a field refused to the caller (FORBIDDEN), the rest answered',
    query: `query ($id: ID!) { organisation(id: $id) { id name } providers { id } }`,
    variables: { id: 'nordwerk' },
    as: 'authority@stadt-kiel',
  },
  {
    name: 'variables that do not fit the operation (400, BAD_USER_INPUT)',
    query: `query ($first: Int) { services(first: $first) { totalCount } }`,
    variables: { first: 'zwanzig' },
  },
  {
    name: 'a missing non-null variable',
    query: `query ($id: ID!) { service(id: $id) { id } }`,
    variables: {},
  },
  {
    name: 'an argument out of range (BAD_USER_INPUT from a resolver)',
    query: `{ services(first: 1000) { totalCount } }`,
  },
  {
    name: 'a mutation refused to an anonymous caller',
    query: `mutation ($id: ID!) { withdrawService(id: $id, reason: "Test") { id status } }`,
    variables: { id: 'nordwerk/wohngeld-0' },
  },
  {
    name: "a mutation on another provider's service (NOT_FOUND or FORBIDDEN)",
    query: `mutation ($id: ID!) { withdrawService(id: $id, reason: "Test") { id status } }`,
    variables: { id: 'nordwerk/wohngeld-0' },
    as: 'provider@suedwerk',
  },
  {
    name: 'an invalid listing (its problems in the error)',
    query: `mutation ($listing: JSON!) { publishService(listing: $listing) { changed service { id } } }`,
    variables: { listing: { id: 'kaputt', title: '' } },
    as: 'provider@nordwerk',
  },
  {
    name: 'publishing content that is already published',
    query: `mutation ($listing: JSON!) { publishService(listing: $listing) { changed service { id title revision } } }`,
    variables: {
      listing: makeListing({
        id: 'wohngeld-2',
        title: 'Wohngeld Antrag nordwerk 2',
        ozgIds: ['10092'],
        availableIn: ['DE-SH', 'DE-BY'],
        plans: [
          { id: 'basis', name: 'Basis', pricingModel: 'FLAT', priceEur: 102 },
          { id: 'fall', name: 'Je Fall', pricingModel: 'PER_CASE', priceEur: 2.5 },
        ],
      }),
    },
    as: 'provider@nordwerk',
  },
];

async function answer(server: TestServer, c: Case) {
  const response = await server.graphql(c.query, c.variables, { as: c.as });
  return {
    status: response.status,
    data: response.data,
    errors: response.errors,
    sqlStatements: response.extensions?.sqlStatements,
  };
}

describe('compiled execution', () => {
  for (const c of cases) {
    it(`answers as graphql-js does: ${c.name}`, async () => {
      const expected = await answer(interpreted, c);
      // Compiled at its first execution; the second runs the kept function.
      expect(await answer(compiled, c)).toEqual(expected);
      expect(await answer(compiled, c)).toEqual(expected);
    });
  }

  it('the cases cover data, field errors and refused requests', async () => {
    const answers = await Promise.all(cases.map((c) => answer(interpreted, c)));
    const codes = answers.flatMap((a) => a.errors?.map((e) => e.extensions.code) ?? []);
    expect(codes).toEqual(expect.arrayContaining(['FORBIDDEN', 'BAD_USER_INPUT', 'UNAUTHENTICATED']));
    expect(answers.filter((a) => a.status === 400).length).toBeGreaterThanOrEqual(2);
    expect(answers.filter((a) => a.status === 200 && !a.errors).length).toBeGreaterThanOrEqual(5);
  });

  it('runs interpreted an operation with variables inside a literal, which compiling would fix at their first values', async () => {
    const inline = `mutation Inline($id: String!, $title: String!) {
      publishService(listing: {
        id: $id, version: "1", title: $title, summary: "Ein Onlinedienst zum Testen.",
        description: "Beschreibung des Dienstes.", efa: false, availableIn: ["DE-SH"],
        operatingModel: "SAAS", hostingLocation: "DE", schutzbedarf: "NORMAL",
        plans: [{ id: "a", name: "Plan", pricingModel: "FLAT" }],
        contact: { name: "Team", email: "team@example.org" }
      }) { service { id title } } }`;
    for (const [id, title] of [
      ['literal-eins', 'Erster Dienst'],
      ['literal-zwei', 'Zweiter Dienst'],
      ['literal-drei', 'Dritter Dienst'],
    ]) {
      const response = await compiled.graphql(inline, { id, title }, { as: 'provider@nordwerk' });
      expect(response.errors).toBeUndefined();
      expect(response.data!.publishService.service).toEqual({ id: `nordwerk/${id}`, title });
    }
  });

  it('compiles an operation at its n-th execution, and reports how many are compiled', async () => {
    const t = await startTestServer({
      database: interpreted.database,
      env: { ...NO_CACHE, GRAPHQL_COMPILE_AFTER_USES: '3' },
    });
    try {
      const compiledNow = async () =>
        (await scrapeMetrics(t.url)).get('catalogue_graphql_compiled_operations');
      const query = `{ laender { code name } }`;
      expect(await compiledNow()).toBe(0);
      await t.graphql(query);
      await t.graphql(query);
      expect(await compiledNow()).toBe(0);
      const third = await t.graphql(query);
      expect(await compiledNow()).toBe(1);
      expect(third).toEqual(await interpreted.graphql(query));
      // The same text is the same operation; other text is another.
      await t.graphql(query);
      await t.graphql(`{ laender { code } }`);
      expect(await compiledNow()).toBe(1);
    } finally {
      await t.close();
    }
  });
});

describe('GRAPHQL_COMPILE_AFTER_USES', () => {
  it('defaults to 2, takes 0 to turn compiling off, and refuses what is not a count', () => {
    expect(configFromEnv({}).graphql.compileAfterUses).toBe(2);
    expect(configFromEnv({ GRAPHQL_COMPILE_AFTER_USES: '0' }).graphql.compileAfterUses).toBe(0);
    for (const bad of ['zwei', '-1', '1.5']) {
      expect(() => configFromEnv({ GRAPHQL_COMPILE_AFTER_USES: bad })).toThrow(
        /GRAPHQL_COMPILE_AFTER_USES must be an integer from 0 to 1000000/,
      );
    }
  });
});

describe('compiled execution, bounded', () => {
  const schema = makeExecutableSchema({
    typeDefs: 'type Query { echo(text: String!): String! }',
    resolvers: { Query: { echo: (_: unknown, args: { text: string }) => args.text } },
  });

  /** Executes as Apollo Server calls the executor: with the document and the operation it chose. */
  async function run(
    executor: (rc: GatewayGraphQLRequestContext) => Promise<ExecutionResult>,
    document: DocumentNode,
    operationName: string | null = null,
  ) {
    const operation = document.definitions.find(
      (d): d is OperationDefinitionNode =>
        d.kind === Kind.OPERATION_DEFINITION && (operationName === null || d.name?.value === operationName),
    );
    const request = {
      request: { variables: {}, operationName },
      source: print(document),
      document,
      operation,
      operationName,
      context: {},
    };
    return executor(request as unknown as GatewayGraphQLRequestContext);
  }

  it('keeps at most maxOperations operations, dropping the least recently used', async () => {
    const execution = compiledExecution(schema, { compileAfterUses: 2, maxOperations: 3 });
    const { executor } = await execution.gateway.load({ apollo: {} });
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((text) => parse(`{ echo(text: "${text}") }`));
    for (const document of [a, a, b, b, c, c]) await run(executor!, document!);
    expect(execution.compiledOperations()).toBe(3);
    // a is used again, so b is the least recently used when d arrives.
    expect(await run(executor!, a!)).toEqual({ data: { echo: 'a' } });
    await run(executor!, d!);
    expect(await run(executor!, d!)).toEqual({ data: { echo: 'd' } });
    expect(execution.compiledOperations()).toBe(3);
    // a is still kept (were it dropped, it would come back uncompiled and push a compiled one out).
    await run(executor!, a!);
    expect(execution.compiledOperations()).toBe(3);
    // b was dropped: it comes back uncounted, pushing out c, now the least recently used.
    await run(executor!, b!);
    expect(execution.compiledOperations()).toBe(2);
    await execution.gateway.stop();
    expect(execution.compiledOperations()).toBe(0);
  });

  it('knows a compiled query by its text and the operation name requested, until it is dropped', async () => {
    const execution = compiledExecution(schema, { compileAfterUses: 2, maxOperations: 1 });
    const { executor } = await execution.gateway.load({ apollo: {} });
    const a = parse(`query A { echo(text: "a") }`);
    const text = print(a);
    await run(executor!, a);
    expect(execution.knownQuery(text, null)).toBeUndefined(); // not compiled yet
    await run(executor!, a);
    const known = execution.knownQuery(text, null)!;
    expect(known.operation).toBe(a.definitions[0]);
    expect(await known.execute({}, {})).toEqual({ data: { echo: 'a' } });
    // Requested by name, it was not: Apollo Server must choose the operation for that request first.
    expect(execution.knownQuery(text, 'A')).toBeUndefined();
    expect(execution.knownQuery(`${text} `, null)).toBeUndefined();
    // Another operation takes the only place: the first is no longer known.
    await run(executor!, parse(`{ echo(text: "b") }`));
    expect(execution.knownQuery(text, null)).toBeUndefined();
  });

  it('counts operations it has not compiled yet within the same bound', async () => {
    const execution = compiledExecution(schema, { compileAfterUses: 2, maxOperations: 2 });
    const { executor } = await execution.gateway.load({ apollo: {} });
    const [a, b, c] = ['a', 'b', 'c'].map((text) => parse(`{ echo(text: "${text}") }`));
    await run(executor!, a!);
    await run(executor!, b!);
    await run(executor!, c!); // a is forgotten: its next use is its first again
    await run(executor!, a!);
    expect(execution.compiledOperations()).toBe(0);
    await run(executor!, a!);
    expect(execution.compiledOperations()).toBe(1);
  });

  it('runs an operation that graphql-jit declines through graphql-js', async () => {
    const execution = compiledExecution(schema, { compileAfterUses: 1, maxOperations: 10 });
    const { executor } = await execution.gateway.load({ apollo: {} });
    // A variable of an output type (which validation would refuse): graphql-jit refuses to compile
    // the operation, graphql-js answers.
    const result = await run(executor!, parse(`query A($v: Query) { echo(text: "a") }`), 'A');
    expect(result.errors?.[0]?.message).toBe(
      'Variable "$v" expected value of type "Query" which cannot be used as an input type.',
    );
    expect(execution.compiledOperations()).toBe(0);
  });

  it('lets graphql-js report an operation Apollo Server could not resolve, by the name the request gave', async () => {
    const execution = compiledExecution(schema, { compileAfterUses: 1, maxOperations: 10 });
    const { executor } = await execution.gateway.load({ apollo: {} });
    const document = parse(`query A { echo(text: "a") } query C { echo(text: "c") }`);
    // As Apollo Server calls the executor then: no operation, and its own operationName null.
    const unresolved = (operationName?: string) =>
      executor!({
        request: { variables: {}, operationName },
        source: print(document),
        document,
        operation: undefined,
        operationName: null,
        context: {},
      } as unknown as GatewayGraphQLRequestContext);
    expect((await unresolved('B')).errors?.[0]?.message).toBe('Unknown operation named "B".');
    expect((await unresolved()).errors?.[0]?.message).toBe(
      'Must provide operation name if query contains multiple operations.',
    );
    expect(execution.compiledOperations()).toBe(0);
  });

  it('compiles each operation of a document on its own', async () => {
    const execution = compiledExecution(schema, { compileAfterUses: 1, maxOperations: 10 });
    const { executor } = await execution.gateway.load({ apollo: {} });
    const document = parse(`query A { echo(text: "a") } query B { echo(text: "b") }`);
    expect(await run(executor!, document, 'A')).toEqual({ data: { echo: 'a' } });
    expect(await run(executor!, document, 'B')).toEqual({ data: { echo: 'b' } });
    expect(await run(executor!, document, 'A')).toEqual({ data: { echo: 'a' } });
    expect(execution.compiledOperations()).toBe(2);
  });
});
