import { getIntrospectionQuery, getOperationAST, graphqlSync, parse, type GraphQLError } from 'graphql';
import type { UserError } from '../../errors.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, testConfig, type TestServer } from '../../../test/helpers/test-server.ts';
import { createSchema } from '../schema.ts';
import { costLimit } from './cost-limit.ts';
import { DEFAULT_QUERY_LIMITS } from './query-limit-error.ts';

let t: TestServer;

// What a portal's result page asks for: facets and a page of services with their details.
const PAGE = `
  query Page($search: String, $first: Int) {
    services(search: $search, first: $first) {
      totalCount
      facets { themenfeld { value label count } provider { value label count } land { value count } operatingModel { value count } }
      pageInfo { hasNextPage endCursor }
      edges {
        cursor
        node {
          id title summary
          provider { id name serviceCount land { name } }
          ozgLeistungen { id name themenfeld { name } }
          themenfelder { name } availableIn { code name } plans { id name pricingModel priceEur }
        }
      }
    }
  }`;

// Introspection on, as in demo mode by default and in production with GRAPHQL_INTROSPECTION=true.
beforeAll(async () => {
  t = await startTestServer({
    config: { introspection: true, graphql: { ...testConfig().graphql, limits: DEFAULT_QUERY_LIMITS } },
  });
});
afterAll(() => t?.close());

describe('cost limit', () => {
  it('accepts the biggest normal page (first: 100) under the default limit', async () => {
    const response = await t.graphql(PAGE, { search: 'wohngeld', first: 100 });
    expect(response.errors).toBeUndefined();
  });

  it('refuses a query that multiplies nested lists, with a clear message and QUERY_LIMIT_EXCEEDED', async () => {
    const response = await t.graphql(
      `query ($first: Int) { services(first: $first) { edges { node {
         ozgLeistungen { services { ozgLeistungen { services { id title } } } } } } } }`,
      { first: 100 },
    );
    expect(response.status).toBe(400);
    expect(response.data ?? null).toBeNull();
    expect(response.errors![0]!.message).toMatch(
      /^The query could return about \d+ fields; at most 20000 are allowed\. Ask for smaller pages/,
    );
    expect(response.errors![0]!.extensions).toMatchObject({
      code: 'QUERY_LIMIT_EXCEEDED',
      limit: 'COST',
      maximum: 20000,
    });
    expect(response.errors![0]!.extensions.actual).toBeGreaterThan(20000);
  });

  it('reads the page size from variables: the same document passes with a small page', async () => {
    const query = `query ($first: Int) { services(first: $first) { edges { node { ozgLeistungen { services { ozgLeistungen { id } } } } } } }`;
    expect((await t.graphql(query, { first: 2 })).errors).toBeUndefined();
    expect((await t.graphql(query, { first: 100 })).errors?.[0]?.extensions.limit).toBe('COST');
  });

  it('counts a page size left out or null as the default page the resolver then serves (20)', async () => {
    const query = `query ($first: Int) { services(first: $first) { edges { node { ozgLeistungen { services(first: 20) { ozgLeistungen { id } } } } } } }`;
    const actual = async (variables: Record<string, unknown>) =>
      (await t.graphql(query, variables)).errors?.[0]?.extensions.actual;
    const twenty = await actual({ first: 20 });
    expect(twenty).toBeGreaterThan(20000);
    expect(await actual({})).toBe(twenty);
    expect(await actual({ first: null })).toBe(twenty);
  });

  it('counts OZG-Leistungen as the whole OZG catalogue, and their services by `first`', async () => {
    // A search may match every OZG-Leistung (a common word, a substring of every name).
    const everything = await t.graphql(`{ ozgLeistungen(search: "e") { services(first: 100) { id } } }`);
    expect(everything.errors![0]!.extensions).toMatchObject({ code: 'QUERY_LIMIT_EXCEEDED', limit: 'COST' });
    const normal = await t.graphql(
      `{ ozgLeistungen(search: "Wohngeld") { id name services { id title provider { name } } } }`,
    );
    expect(normal.errors).toBeUndefined();
  });

  it('counts every alias of an expensive field', async () => {
    const field = (i: number) => `a${i}: ozgLeistungen { services { id title summary description } }`;
    const response = await t.graphql(`{ ${Array.from({ length: 5 }, (_, i) => field(i)).join(' ')} }`);
    expect(response.errors![0]!.extensions).toMatchObject({ code: 'QUERY_LIMIT_EXCEEDED', limit: 'COST' });
  });

  it('takes a `first` variable as a page size only if it is an Int: otherwise coercion refuses it', async () => {
    // Variables are costed before they are coerced; a value beyond 32 bits was refused as "about
    // Infinity fields" (COST) instead of the BAD_USER_INPUT that names the variable.
    const query =
      'query ($first: Int) { services(first: $first) { edges { node { id ozgLeistungen { id } } } } }';
    for (const first of [1e308, 3_000_000_000, 2.5]) {
      const response = await t.graphql(query, { first });
      expect(response.status).toBe(400);
      expect(response.errors![0]!.extensions.code).toBe('BAD_USER_INPUT');
      expect(response.errors![0]!.message).toMatch(/\$first/);
      expect(response.errors![0]!.message).not.toMatch(/Infinity/);
    }
    // The largest Int is still a page size (and far over the limit here).
    expect((await t.graphql(query, { first: 2 ** 31 - 1 })).errors![0]!.extensions.limit).toBe('COST');
  });
});

describe('cost limit on introspection', () => {
  it('counts introspection fields: 600 characters of query must not return 100,000 fields', async () => {
    const aliases = Array.from({ length: 6 }, (_, i) => `a${i}: __schema { ...S }`).join(' ');
    const response = await t.graphql(`{ ${aliases} }
      fragment S on __Schema { types { name kind description fields { name description
        args { name description type { name kind } }
        type { name kind ofType { name kind fields { name description type { name kind ofType { name kind } } } } } } } }`);
    expect(response.status).toBe(400);
    expect(response.data ?? null).toBeNull();
    expect(response.errors![0]!.extensions).toMatchObject({
      code: 'QUERY_LIMIT_EXCEEDED',
      limit: 'COST',
      maximum: 20000,
    });
  });

  it('accepts a full schema introspection as tools send it (GraphiQL, Apollo Sandbox, codegen)', async () => {
    for (const query of [getIntrospectionQuery(), getIntrospectionQuery(ALL_INTROSPECTION_OPTIONS)]) {
      const response = await t.graphql<{ __schema: { types: unknown[] } }>(query);
      expect(response.errors).toBeUndefined();
      expect(response.data!.__schema.types.length).toBeGreaterThan(50);
    }
  });

  it('estimates no less than an introspection query returns, and lets only `__typename` be free', () => {
    const schema = createSchema();
    const estimate = (query: string) => {
      const document = parse(query);
      try {
        costLimit({ maxCost: 0 }).check!({
          document,
          operation: getOperationAST(document)!,
          variables: {},
          schema,
        });
        return 0;
      } catch (error) {
        return ((error as GraphQLError).originalError as UserError).details!.actual as number;
      }
    };
    // Every field in the answer, null or not, the way the estimate counts them.
    const returned = (value: unknown): number =>
      Array.isArray(value)
        ? value.reduce((sum: number, item) => sum + returned(item), 0)
        : value !== null && typeof value === 'object'
          ? Object.values(value).reduce((sum: number, field) => sum + 1 + returned(field), 0)
          : 0;
    for (const query of [
      getIntrospectionQuery(),
      getIntrospectionQuery(ALL_INTROSPECTION_OPTIONS),
      `{ __schema { types { name fields { name type { name ofType { name fields { name } } } } } } }`,
      `{ __type(name: "Service") { name fields { name args { name } type { kind ofType { name } } } } }`,
      `{ __schema { directives { name args { name type { name } } } types { name possibleTypes { name } } } }`,
    ]) {
      const result = graphqlSync({ schema, source: query });
      expect(result.errors).toBeUndefined();
      expect(estimate(query)).toBeGreaterThanOrEqual(returned(result.data));
    }
    expect(estimate(getIntrospectionQuery(ALL_INTROSPECTION_OPTIONS))).toBeLessThan(
      DEFAULT_QUERY_LIMITS.maxCost,
    );
    expect(estimate(`{ __typename laender { __typename code } }`)).toBe(estimate(`{ laender { code } }`));
    expect(estimate(`{ __schema { queryType { name } } }`)).toBe(3);
  });
});

/** Every optional field of graphql-js's introspection query, as GraphiQL asks for most of them. */
const ALL_INTROSPECTION_OPTIONS = {
  descriptions: true,
  specifiedByUrl: true,
  directiveIsRepeatable: true,
  schemaDescription: true,
  inputValueDeprecation: true,
  oneOf: true,
};
