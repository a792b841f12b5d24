import { describe, expect, it } from 'vitest';
import { gatewayVariables, settingsFromEnvironment, startLine } from './gateway-settings.ts';

describe('the gateway settings a benchmark report names', () => {
  const variables = gatewayVariables();

  it('knows the gateway’s variables from the README’s configuration table', () => {
    expect(variables).toContain('HEAP_SEMI_SPACE_MB');
    expect(variables).toContain('RESPONSE_CACHE_TTL_SECONDS');
    expect(variables).not.toContain('BENCH_LISTINGS');
  });

  it('lists what the environment sets and the benchmark does not, sorted, blank values left out', () => {
    const env = {
      RESPONSE_CACHE_TTL_SECONDS: '5',
      HEAP_SEMI_SPACE_MB: ' 0 ',
      PGLITE_SHARED_BUFFERS_MB: '  ',
      PORT: '4000',
      BENCH_LISTINGS: '1000',
      PATH: '/usr/bin',
    };
    expect(settingsFromEnvironment(env, variables, new Set(['PORT']))).toEqual([
      'HEAP_SEMI_SPACE_MB=0',
      'RESPONSE_CACHE_TTL_SECONDS=5',
    ]);
  });

  it('never shows a secret or a URL’s credentials', () => {
    const env = {
      HARVEST_CLIENT_SECRET: 's3cret',
      HARVEST_TOKEN_ISSUER: 'https://harvester:hunter2@idp.example/realms/x',
      OIDC_ISSUER: 'https://idp.example/realms/x',
    };
    const settings = settingsFromEnvironment(env, variables, new Set());
    expect(settings).toEqual([
      'HARVEST_CLIENT_SECRET=(set)',
      'HARVEST_TOKEN_ISSUER=https://idp.example/realms/x',
      'OIDC_ISSUER=https://idp.example/realms/x',
    ]);
    expect(settings.join(' ')).not.toMatch(/s3cret|hunter2/);
  });

  it('finds the gateway’s start line in its output', () => {
    const output =
      'npm warn something\nVerwaltungscloud Catalogue starting in production mode on embedded PostgreSQL (PGlite) in /tmp/x; young generation of 8 MiB semi-spaces (HEAP_SEMI_SPACE_MB=8).\nGraphQL: http://127.0.0.1:1/graphql\n';
    expect(startLine(output)).toMatch(
      /^Verwaltungscloud Catalogue starting in production mode .*HEAP_SEMI_SPACE_MB=8/,
    );
    expect(startLine('nothing here')).toBeNull();
  });
});
