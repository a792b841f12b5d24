import { describe, expect, it } from 'vitest';
import { configFromEnv, parseIssuers } from '../config.ts';
import { readClaim } from './oidc-authenticator.ts';

describe('OIDC_ISSUER', () => {
  it('lists several issuers, separated by commas and/or spaces, without duplicates', () => {
    expect(
      parseIssuers(' https://login.land.de/realms/vc, https://id.bund.de  https://login.land.de/realms/vc'),
    ).toEqual(['https://login.land.de/realms/vc', 'https://id.bund.de']);
  });

  it('refuses plain http except on loopback', () => {
    expect(() => parseIssuers('http://login.land.de')).toThrow(/must use https/);
    expect(parseIssuers('http://127.0.0.1:4001')).toEqual(['http://127.0.0.1:4001']);
  });

  it('refuses what is not an issuer URL', () => {
    expect(() => parseIssuers('login.land.de')).toThrow(/not a URL/);
    expect(() => parseIssuers('https://login.land.de/?realm=x')).toThrow(/query or fragment/);
  });

  it('checks HARVEST_TOKEN_ISSUER as it checks OIDC_ISSUER: the client secret goes to its token endpoint', () => {
    const env = {
      OIDC_ISSUER: 'https://id.bund.de',
      HARVEST_CLIENT_ID: 'harvester',
      HARVEST_CLIENT_SECRET: 's',
    };
    expect(() => configFromEnv({ ...env, HARVEST_TOKEN_ISSUER: 'http://login.land.de/realms/vc' })).toThrow(
      'HARVEST_TOKEN_ISSUER: http://login.land.de/realms/vc must use https (http only on loopback)',
    );
    expect(() => configFromEnv({ ...env, HARVEST_TOKEN_ISSUER: 'login.land.de' })).toThrow(
      'HARVEST_TOKEN_ISSUER: "login.land.de" is not a URL',
    );
    expect(() => configFromEnv({ ...env, HARVEST_TOKEN_ISSUER: 'https://login.land.de/#vc' })).toThrow(
      /HARVEST_TOKEN_ISSUER: .* must not have a query or fragment/,
    );
    expect(
      configFromEnv({ ...env, HARVEST_TOKEN_ISSUER: ' https://login.land.de/realms/vc ' }).harvest.client,
    ).toMatchObject({ issuer: 'https://login.land.de/realms/vc' });
    expect(
      configFromEnv({ ...env, HARVEST_TOKEN_ISSUER: 'http://127.0.0.1:4001' }).harvest.client,
    ).toMatchObject({
      issuer: 'http://127.0.0.1:4001',
    });
  });

  it.each([[''], [' '], [','], [' , ']])(
    'refuses OIDC_ISSUER=%j, which is set but names no issuer, instead of starting in demo mode',
    (value) => {
      expect(() => configFromEnv({ OIDC_ISSUER: value })).toThrow(/OIDC_ISSUER is set but names no issuer/);
    },
  );

  it('runs in demo mode only when OIDC_ISSUER is unset', () => {
    expect(configFromEnv({})).toMatchObject({ mode: 'demo', devPrincipalHeader: true });
  });

  it('sets production mode; the claim paths and audience have defaults', () => {
    expect(configFromEnv({ OIDC_ISSUER: 'https://id.bund.de' })).toMatchObject({
      mode: 'production',
      oidc: {
        issuers: ['https://id.bund.de'],
        audience: 'verwaltungscloud-catalogue',
        rolesClaim: 'roles',
        organisationClaim: 'org',
      },
    });
    expect(() => configFromEnv({ OIDC_ROLES_CLAIM: 'realm_access..roles' })).toThrow(/dotted path/);
  });
});

describe('readClaim', () => {
  const payload = {
    roles: ['provider'],
    realm_access: { roles: ['authority', 'offline_access'] },
    'https://verwaltungscloud.de/org': 'dataport',
  };

  it('follows a dotted path', () => {
    expect(readClaim(payload, 'realm_access.roles')).toEqual(['authority', 'offline_access']);
  });

  it('prefers a claim whose name contains dots (namespaced claims) over the path', () => {
    expect(readClaim(payload, 'https://verwaltungscloud.de/org')).toBe('dataport');
  });

  it('is undefined for a path that leads nowhere, or through an array', () => {
    expect(readClaim(payload, 'realm_access.groups')).toBeUndefined();
    expect(readClaim(payload, 'roles.0')).toBeUndefined();
    expect(readClaim(payload, 'toString')).toBeUndefined();
  });
});
