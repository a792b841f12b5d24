import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, testConfig, type TestServer } from '../../../test/helpers/test-server.ts';

let t: TestServer;

beforeAll(async () => {
  const graphql = testConfig().graphql;
  t = await startTestServer({
    config: { graphql: { ...graphql, limits: { ...graphql.limits, maxAliases: 3 } } },
  });
});
afterAll(() => t?.close());

const aliases = (n: number) =>
  `{ ${Array.from({ length: n }, (_, i) => `s${i}: services(search: "antrag${i}") { totalCount }`).join(' ')} }`;

describe('alias limit', () => {
  it('accepts a query with as many aliases as allowed', async () => {
    const response = await t.graphql(aliases(3));
    expect(response.errors).toBeUndefined();
  });

  it('refuses one alias more with a clear message and QUERY_LIMIT_EXCEEDED', async () => {
    const response = await t.graphql(aliases(4));
    expect(response.status).toBe(400);
    expect(response.data ?? null).toBeNull();
    expect(response.errors![0]).toMatchObject({
      message: 'The query uses 4 aliases; at most 3 are allowed. Send several requests instead.',
      extensions: { code: 'QUERY_LIMIT_EXCEEDED', limit: 'ALIASES', maximum: 3, actual: 4 },
    });
  });

  it('counts aliases inside fragments', async () => {
    const response = await t.graphql(`
      { a: laender { ...L } b: laender { ...L } }
      fragment L on Land { x: code y: name }`);
    expect(response.errors![0]!.extensions).toMatchObject({ limit: 'ALIASES', actual: 4 });
  });
});
