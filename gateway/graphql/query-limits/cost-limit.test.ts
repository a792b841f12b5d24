import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, testConfig, type TestServer } from '../../../test/helpers/test-server.ts';
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

beforeAll(async () => {
  t = await startTestServer({
    config: { graphql: { ...testConfig().graphql, limits: DEFAULT_QUERY_LIMITS } },
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
});
