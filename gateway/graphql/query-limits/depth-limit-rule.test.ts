import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, testConfig, type TestServer } from '../../../test/helpers/test-server.ts';

let t: TestServer;

beforeAll(async () => {
  const graphql = testConfig().graphql;
  t = await startTestServer({
    config: { graphql: { ...graphql, limits: { ...graphql.limits, maxDepth: 6 } } },
  });
});
afterAll(() => t?.close());

describe('depth limit', () => {
  it('accepts the deepest normal query: a page with each provider and its Land', async () => {
    const response = await t.graphql(`{ services { edges { node { provider { land { name } } } } } }`);
    expect(response.errors).toBeUndefined();
  });

  it('refuses a query nested one level too deep, with a clear message and QUERY_LIMIT_EXCEEDED', async () => {
    const response = await t.graphql(
      `query TooDeep { ozgLeistungen { services { ozgLeistungen { services { provider { land { name } } } } } } }`,
    );
    expect(response.status).toBe(400);
    expect(response.data ?? null).toBeNull();
    expect(response.errors).toHaveLength(1);
    expect(response.errors![0]).toMatchObject({
      message:
        'Operation TooDeep nests fields more than 6 levels deep, the most allowed. Ask for fewer nested fields, or split the query.',
      extensions: { code: 'QUERY_LIMIT_EXCEEDED', limit: 'DEPTH', maximum: 6, actual: 7 },
    });
  });

  it('counts fragments where they are spread', async () => {
    const response = await t.graphql(`
      query { ozgLeistungen { ...Deep } }
      fragment Deep on OzgLeistung { services { ozgLeistungen { services { ozgLeistungen { services { id } } } } } }`);
    expect(response.errors![0]!.extensions).toMatchObject({ code: 'QUERY_LIMIT_EXCEEDED', limit: 'DEPTH' });
  });

  it('answers at once for a document of fragments that spread each other many times over', async () => {
    // Each fragment spreads the next twice: walking every path would take 2^25 steps.
    const fragments = Array.from(
      { length: 25 },
      (_, i) => `fragment F${i} on OzgLeistung { id ...F${i + 1} ...F${i + 1} }`,
    ).join('\n');
    const started = Date.now();
    const response = await t.graphql(
      `query { ozgLeistungen { ...F0 } }\n${fragments}\nfragment F25 on OzgLeistung { id }`,
    );
    expect(Date.now() - started).toBeLessThan(2000);
    expect(response.errors?.[0]?.extensions.code).not.toBe('INTERNAL_SERVER_ERROR');
  });
});
