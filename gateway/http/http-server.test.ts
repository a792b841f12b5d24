import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test/helpers/test-server.ts';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer({ config: { maxBodyBytes: 4096 } });
});
afterAll(() => t?.close());

describe('HTTP endpoints', () => {
  it('answers /healthz', async () => {
    const response = await fetch(`${t.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz when the database is reachable and migrated', async () => {
    const response = await fetch(`${t.url}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ready' });
  });

  it('serves Prometheus metrics, including SQL statements per GraphQL request', async () => {
    await t.graphql('{ laender { code } }');
    const text = await (await fetch(`${t.url}/metrics`)).text();
    expect(text).toContain('catalogue_http_requests_total{route="/graphql",status="200"}');
    expect(text).toContain('catalogue_graphql_sql_statements_bucket');
  });

  it('says where GraphQL is for an unknown path', async () => {
    const response = await fetch(`${t.url}/nope`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: expect.stringContaining('/graphql') });
  });

  it('serves queries over GET too', async () => {
    const response = await fetch(`${t.url}/graphql?query=${encodeURIComponent('{ laender { code } }')}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { data: { laender: unknown[] } }).data.laender).toHaveLength(17);
  });
});

describe('bad requests', () => {
  it('refuses a body above the limit with 413', async () => {
    const response = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ laender { code } } # ${'x'.repeat(5000)}` }),
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ errors: [{ extensions: { code: 'BAD_USER_INPUT' } }] });
  });

  it('refuses a body that is not JSON with 400', async () => {
    const response = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query": ',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST' } }] });
  });

  it('refuses a query that does not parse', async () => {
    const response = await t.graphql('{ services { ');
    expect(response.status).toBe(400);
    expect(response.errors?.[0]?.extensions.code).toBe('GRAPHQL_PARSE_FAILED');
  });

  it('refuses a variable of the wrong type with BAD_USER_INPUT', async () => {
    const response = await t.graphql('query ($first: Int) { services(first: $first) { totalCount } }', {
      first: 'zehn',
    });
    expect(response.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
  });

  it('refuses a bearer token when no issuer is configured (UNAUTHENTICATED), even for public data', async () => {
    const response = await t.graphql(
      '{ laender { code } }',
      {},
      { headers: { authorization: 'Bearer abc.def.ghi' } },
    );
    expect(response.status).toBe(401);
    expect(response.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
  });
});
