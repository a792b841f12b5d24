import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, testConfig, type TestServer } from '../../../test/helpers/test-server.ts';

let t: TestServer;

beforeAll(async () => {
  const graphql = testConfig().graphql;
  t = await startTestServer({
    config: { graphql: { ...graphql, limits: { ...graphql.limits, maxDocumentLength: 2000 } } },
  });
});
afterAll(() => t?.close());

describe('document length limit', () => {
  it('accepts a normal query', async () => {
    expect((await t.graphql(`{ laender { code name } }`)).errors).toBeUndefined();
  });

  it('refuses a query text that is too long, with a clear message and QUERY_LIMIT_EXCEEDED', async () => {
    const response = await t.graphql(`{ laender { code } } # ${'x'.repeat(2000)}`);
    expect(response.status).toBe(400);
    expect(response.data ?? null).toBeNull();
    expect(response.errors).toHaveLength(1);
    expect(response.errors![0]).toMatchObject({
      message: 'The query is 2023 characters long; at most 2000 are allowed.',
      extensions: { code: 'QUERY_LIMIT_EXCEEDED', limit: 'DOCUMENT_LENGTH', maximum: 2000, actual: 2023 },
    });
  });

  it('counts characters (code points), as documented, not UTF-16 code units', async () => {
    // An emoji is one character but two UTF-16 code units: 1,023 characters, 2,023 code units.
    const accepted = await t.graphql(`# ${'😀'.repeat(1000)}\n{ laender { code } }`);
    expect(accepted.errors).toBeUndefined();
    const refused = await t.graphql(`{ laender { code } } # ${'😀'.repeat(2000)}`);
    expect(refused.errors![0]).toMatchObject({
      message: 'The query is 2023 characters long; at most 2000 are allowed.',
      extensions: { code: 'QUERY_LIMIT_EXCEEDED', limit: 'DOCUMENT_LENGTH', maximum: 2000, actual: 2023 },
    });
  });
});
