// Pointing the gateway at an identity provider that writes roles where Keycloak does
// (OIDC_ROLES_CLAIM=realm_access.roles) and uses an audience of its own: configuration only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdentityProvider } from '../../services/identity-provider/identity-provider.ts';
import { issuerSignedToken, startTestIdentityProvider, tokenFor } from '../helpers/identity-provider.ts';
import { makeListing, registerOrganisation } from '../helpers/listings.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

let idp: IdentityProvider;
let t: TestServer;

beforeAll(async () => {
  idp = await startTestIdentityProvider({
    audience: 'catalogue-api',
    rolesClaim: 'realm_access.roles',
    organisationClaim: 'verwaltungscloud.organisation',
  });
  t = await startTestServer({
    env: {
      OIDC_ISSUER: idp.issuer,
      OIDC_AUDIENCE: 'catalogue-api',
      OIDC_ROLES_CLAIM: 'realm_access.roles',
      OIDC_ORG_CLAIM: 'verwaltungscloud.organisation',
    },
  });
  await registerOrganisation(t.db, 'dataport', 'PROVIDER');
});

afterAll(async () => {
  await t?.close();
  await idp?.close();
});

describe('Keycloak-style claims', () => {
  it('take roles and organisation from nested claims', async () => {
    const token = await tokenFor(idp, 'provider@dataport');
    const response = await t.graphql(
      'mutation ($l: JSON!) { publishService(listing: $l) { service { id } } }',
      { l: makeListing({ id: 'keycloak' }) },
      { token },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data!.publishService.service.id).toBe('dataport/keycloak');
  });

  it('ignore roles at the top level when the configured path is nested', async () => {
    const token = await issuerSignedToken(idp, await tokenFor(idp, 'provider@dataport'), {
      roles: ['coordinator'],
      realm_access: { roles: ['offline_access'] },
    });
    const response = await t.graphql('{ me { roles organisationId } }', {}, { token });
    expect(response.data!.me).toEqual({ roles: [], organisationId: 'dataport' });
  });

  it("read the organisation from Keycloak's organisation claim shapes: a list of aliases, or an object keyed by alias", async () => {
    for (const organisation of [['dataport'], { dataport: { id: '5b2c7c1e-4f0a-4c59-9d0e-2f4f6a1b7c3d' } }]) {
      const token = await issuerSignedToken(idp, await tokenFor(idp, 'provider@dataport'), {
        verwaltungscloud: { organisation },
      });
      const response = await t.graphql('{ me { organisationId } }', {}, { token });
      expect(response.errors).toBeUndefined();
      expect(response.data!.me).toEqual({ organisationId: 'dataport' });
    }
  });

  it('refuse a token whose organisation claim names several organisations (CLAIM_INVALID), even for public data', async () => {
    for (const organisation of [['dataport', 'itzbund'], { dataport: {}, itzbund: {} }]) {
      const token = await issuerSignedToken(idp, await tokenFor(idp, 'provider@dataport'), {
        verwaltungscloud: { organisation },
      });
      const response = await t.graphql('{ providers { id } }', {}, { token });
      expect(response.status).toBe(401);
      expect(response.errors?.[0]?.extensions).toMatchObject({
        code: 'UNAUTHENTICATED',
        reason: 'CLAIM_INVALID',
      });
      expect(response.errors?.[0]?.message).toMatch(/names 2 organisations \(dataport, itzbund\)/);
    }
  });

  it('refuse a token for the default audience (AUDIENCE_MISMATCH)', async () => {
    const token = await issuerSignedToken(idp, await tokenFor(idp, 'provider@dataport'), {
      aud: 'verwaltungscloud-catalogue',
    });
    const response = await t.graphql('{ me { subject } }', {}, { token });
    expect(response.status).toBe(401);
    expect(response.errors?.[0]?.extensions).toMatchObject({
      code: 'UNAUTHENTICATED',
      reason: 'AUDIENCE_MISMATCH',
    });
  });
});
