import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromEnv } from '../../config.ts';
import { startTestServer, testConfig, type TestServer } from '../../../test/helpers/test-server.ts';

// Production mode tells strangers nothing about the schema beyond what they asked for.
let production: TestServer;
let demo: TestServer;

beforeAll(async () => {
  const graphql = testConfig().graphql;
  production = await startTestServer({
    config: { introspection: false, graphql: { ...graphql, fieldSuggestions: false } },
  });
  demo = await startTestServer({
    config: { introspection: true, graphql: { ...graphql, fieldSuggestions: true } },
  });
});
afterAll(async () => {
  await production?.close();
  await demo?.close();
});

describe('schema exposure', () => {
  it('is off by default in production mode and on in demo mode; each can be configured', () => {
    const inProduction = configFromEnv({ OIDC_ISSUER: 'https://login.example' });
    expect(inProduction.introspection).toBe(false);
    expect(inProduction.graphql.fieldSuggestions).toBe(false);
    const inDemo = configFromEnv({});
    expect(inDemo.introspection).toBe(true);
    expect(inDemo.graphql.fieldSuggestions).toBe(true);
    const configured = configFromEnv({
      OIDC_ISSUER: 'https://login.example',
      GRAPHQL_FIELD_SUGGESTIONS: 'true',
    });
    expect(configured.graphql.fieldSuggestions).toBe(true);
    expect(() => configFromEnv({ GRAPHQL_MAX_DEPTH: 'tief' })).toThrow(
      /GRAPHQL_MAX_DEPTH must be an integer/,
    );
  });

  it('suggests no field names when suggestions are off', async () => {
    const response = await production.graphql(`{ services { edges { node { titel } } } }`);
    expect(response.errors![0]).toMatchObject({
      message: 'Cannot query field "titel" on type "Service".',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    const suggested = await demo.graphql(`{ services { edges { node { titel } } } }`);
    expect(suggested.errors![0]!.message).toBe(
      'Cannot query field "titel" on type "Service". Did you mean "title"?',
    );
  });

  it('suggests no input field or enum value for a variable when suggestions are off', async () => {
    // A variable's value is checked after validation, where Apollo's own hiding does not reach.
    const cases = [
      ['query ($f: ServiceFilter) { services(filter: $f) { totalCount } }', { f: { lnd: ['DE-NI'] } }],
      ['query ($k: OrganisationKind) { organisations(kind: $k) { id } }', { k: 'PROVIDR' }],
    ] as const;
    for (const [query, variables] of cases) {
      const hidden = await production.graphql(query, variables);
      expect(hidden.errors![0]!.extensions.code).toBe('BAD_USER_INPUT');
      expect(hidden.errors![0]!.message).not.toMatch(/Did you mean|land|PROVIDER/);
      const suggested = await demo.graphql(query, variables);
      expect(suggested.errors![0]!.message).toMatch(/Did you mean .*(land|PROVIDER)/);
    }
  });

  it('answers a persisted query (APQ, off) with PERSISTED_QUERY_NOT_SUPPORTED, not an internal error', async () => {
    for (const persistedQuery of [{ version: 1, sha256Hash: 'abc' }, { version: 2 }]) {
      const response = await fetch(`${production.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ laender { code } }', extensions: { persistedQuery } }),
      });
      const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
      expect(body.errors[0]!.extensions.code).toBe('PERSISTED_QUERY_NOT_SUPPORTED');
    }
  });

  it('refuses introspection when it is off', async () => {
    const response = await production.graphql(`{ __schema { types { name } } }`);
    expect(response.errors![0]!.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect((await demo.graphql(`{ __schema { queryType { name } } }`)).errors).toBeUndefined();
  });
});
