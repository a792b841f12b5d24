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

  it('refuses introspection when it is off', async () => {
    const response = await production.graphql(`{ __schema { types { name } } }`);
    expect(response.errors![0]!.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect((await demo.graphql(`{ __schema { queryType { name } } }`)).errors).toBeUndefined();
  });
});
