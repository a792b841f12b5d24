// Tokens the gateway must accept: from every trusted issuer, with each accepted algorithm, and within the
// clock tolerance.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  IdentityProvider,
  SigningAlgorithm,
} from '../../services/identity-provider/identity-provider.ts';
import {
  decodeToken,
  issuerSignedToken,
  startTestIdentityProvider,
  tokenFor,
} from '../helpers/identity-provider.ts';
import { registerOrganisation } from '../helpers/listings.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

const ALGORITHMS: SigningAlgorithm[] = ['ES256', 'RS256', 'PS256', 'EdDSA'];
const issuers = new Map<SigningAlgorithm, IdentityProvider>();
let t: TestServer;

const ME = '{ me { subject roles organisationId issuer } }';

beforeAll(async () => {
  for (const algorithm of ALGORITHMS) issuers.set(algorithm, await startTestIdentityProvider({ algorithm }));
  // Several issuers, separated by commas and spaces as an operator might write them.
  const list = [...issuers.values()].map((idp) => idp.issuer);
  t = await startTestServer({ env: { OIDC_ISSUER: `${list[0]}, ${list[1]} ${list[2]},${list[3]}` } });
  await registerOrganisation(t.db, 'dataport', 'PROVIDER');
});

afterAll(async () => {
  await t?.close();
  for (const idp of issuers.values()) await idp.close();
});

describe('the gateway accepts', () => {
  it.each(ALGORITHMS)('a token of the trusted issuer that signs with %s', async (algorithm) => {
    const idp = issuers.get(algorithm)!;
    const token = await tokenFor(idp, 'provider@dataport');
    expect(decodeToken(token).header.alg).toBe(algorithm);
    const response = await t.graphql(ME, {}, { token });
    expect(response.errors).toBeUndefined();
    expect(response.data!.me).toEqual({
      subject: 'provider@dataport',
      roles: ['PROVIDER'],
      organisationId: 'dataport',
      issuer: idp.issuer,
    });
  });

  it('a client credentials token of the second trusted issuer, for a mutation', async () => {
    const token = await tokenFor(issuers.get('RS256')!, 'machine@dataport');
    const response = await t.graphql(
      'mutation { withdrawService(id: "dataport/gibt-es-nicht") { id } }',
      {},
      { token },
    );
    // Authenticated and authorised: the refusal is about the missing service, not the caller.
    expect(response.errors?.[0]?.extensions.code).toBe('NOT_FOUND');
  });

  it('a token that expired 20 s ago (within the 30 s clock tolerance)', async () => {
    const idp = issuers.get('ES256')!;
    const now = Math.floor(Date.now() / 1000);
    const token = await issuerSignedToken(idp, await tokenFor(idp, 'provider@dataport'), { exp: now - 20 });
    expect((await t.graphql(ME, {}, { token })).data!.me.subject).toBe('provider@dataport');
  });

  it('a token valid from 20 s from now (within the 30 s clock tolerance)', async () => {
    const idp = issuers.get('ES256')!;
    const now = Math.floor(Date.now() / 1000);
    const token = await issuerSignedToken(idp, await tokenFor(idp, 'provider@dataport'), { nbf: now + 20 });
    expect((await t.graphql(ME, {}, { token })).data!.me.subject).toBe('provider@dataport');
  });

  it('a Keycloak access token: header type "JWT", "typ": "Bearer" claim', async () => {
    const idp = issuers.get('RS256')!;
    const token = await issuerSignedToken(
      idp,
      await tokenFor(idp, 'provider@dataport'),
      { typ: 'Bearer' },
      { typ: 'JWT' },
    );
    expect((await t.graphql(ME, {}, { token })).data!.me.subject).toBe('provider@dataport');
  });

  it("roles as a space-separated string, ignoring roles that are not the catalogue's", async () => {
    const idp = issuers.get('ES256')!;
    const token = await issuerSignedToken(idp, await tokenFor(idp, 'provider@dataport'), {
      roles: 'offline_access provider uma_authorization',
    });
    expect((await t.graphql(ME, {}, { token })).data!.me.roles).toEqual(['PROVIDER']);
  });
});
