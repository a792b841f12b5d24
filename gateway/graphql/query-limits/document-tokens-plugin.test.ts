import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, testConfig, type TestServer } from '../../../test/helpers/test-server.ts';

let t: TestServer;

beforeAll(async () => {
  const graphql = testConfig().graphql;
  t = await startTestServer({
    config: { graphql: { ...graphql, limits: { ...graphql.limits, maxDocumentTokens: 200 } } },
  });
});
afterAll(() => t?.close());

describe('document token limit', () => {
  it('accepts a normal query', async () => {
    expect((await t.graphql(`{ laender { code name } }`)).errors).toBeUndefined();
  });

  it('refuses a short query with too many tokens (one field over and over) before validating it', async () => {
    const started = Date.now();
    const response = await t.graphql(`{ ${'laender { code } '.repeat(2000)}}`);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(response.status).toBe(400);
    expect(response.errors).toHaveLength(1);
    expect(response.errors![0]).toMatchObject({
      message:
        'The query has more than 200 tokens (names, punctuation, values), the most allowed. Split it into several requests.',
      extensions: { code: 'QUERY_LIMIT_EXCEEDED', limit: 'DOCUMENT_TOKENS', maximum: 200 },
    });
  });

  it('still reports an ordinary syntax error as a syntax error', async () => {
    const response = await t.graphql(`{ laender { code `);
    expect(response.errors![0]!.extensions.code).toBe('GRAPHQL_PARSE_FAILED');
  });
});
