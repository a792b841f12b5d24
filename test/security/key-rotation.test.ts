// The identity provider changes its signing key while the gateway runs: new tokens verify without a
// restart, retired keys stop verifying once the cached key set expires, and unknown key ids cannot make
// the gateway hammer the identity provider.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboundFetch } from '../../gateway/auth/oidc-authenticator.ts';
import type { IdentityProvider } from '../../services/identity-provider/identity-provider.ts';
import {
  decodeToken,
  issuerSignedToken,
  startTestIdentityProvider,
  tokenFor,
} from '../helpers/identity-provider.ts';
import { registerOrganisation } from '../helpers/listings.ts';
import { startTestServer, testConfig, type TestServer } from '../helpers/test-server.ts';

const ME = '{ me { subject } }';
let idp: IdentityProvider;
let t: TestServer;
let jwksFetches = 0;

// Every outbound request of the gateway's OIDC goes through this one function; here it also counts.
const countingFetch: OutboundFetch = (url, init) => {
  if (new URL(url).pathname === '/jwks') jwksFetches++;
  return fetch(url, init);
};

async function meWith(token: string) {
  return t.graphql(ME, {}, { token });
}

beforeAll(async () => {
  idp = await startTestIdentityProvider();
  const env = { OIDC_ISSUER: idp.issuer };
  // No cooldown and a short cache here, so the test need not wait 30 s or 10 min.
  const oidc = { ...testConfig({}, env).oidc, jwksCooldownMs: 0, jwksCacheMaxAgeMs: 1500 };
  t = await startTestServer({ env, config: { oidc }, oidcFetch: countingFetch });
  await registerOrganisation(t.db, 'dataport', 'PROVIDER');
});

afterAll(async () => {
  await t?.close();
  await idp?.close();
});

describe('key rotation at the identity provider', () => {
  let before: string;
  let after: string;

  it('accepts tokens signed with the new key without restarting the gateway', async () => {
    before = await tokenFor(idp, 'provider@dataport');
    expect((await meWith(before)).data!.me.subject).toBe('provider@dataport');
    const fetchesBefore = jwksFetches;

    const newKey = await idp.rotateSigningKey();
    after = await tokenFor(idp, 'provider@dataport');
    expect(decodeToken(after).header.kid).toBe(newKey.kid);
    expect(decodeToken(after).header.kid).not.toBe(decodeToken(before).header.kid);

    const response = await meWith(after);
    expect(response.errors).toBeUndefined();
    expect(response.data!.me.subject).toBe('provider@dataport');
    // The unknown key id made the gateway fetch the key set again, once.
    expect(jwksFetches).toBe(fetchesBefore + 1);
    // Tokens signed before the rotation stay valid while the old key is published.
    expect((await meWith(before)).errors).toBeUndefined();
  });

  it('refuses tokens of a retired key once the cached key set expires', async () => {
    idp.retireOldKeys();
    await new Promise((resolve) => setTimeout(resolve, 1600));
    const refused = await meWith(before);
    expect(refused.status).toBe(401);
    expect(refused.errors?.[0]?.extensions).toMatchObject({
      code: 'UNAUTHENTICATED',
      reason: 'KEY_NOT_FOUND',
    });
    expect((await meWith(after)).data!.me.subject).toBe('provider@dataport');
  });
});

describe('the key set cooldown', () => {
  let cooled: TestServer;

  afterAll(() => cooled?.close());

  it('fetches the key set at most once per cooldown however many unknown key ids arrive', async () => {
    let fetches = 0;
    cooled = await startTestServer({
      env: { OIDC_ISSUER: idp.issuer },
      oidcFetch: (url, init) => {
        if (new URL(url).pathname === '/jwks') fetches++;
        return fetch(url, init);
      },
    });
    const real = await tokenFor(idp, 'provider@dataport');
    expect((await cooled.graphql(ME, {}, { token: real })).errors).toBeUndefined();
    expect(fetches).toBe(1);
    for (let i = 0; i < 10; i++) {
      const token = await issuerSignedToken(idp, real, {}, { kid: `unknown-${i}` });
      const response = await cooled.graphql(ME, {}, { token });
      expect(response.errors?.[0]?.extensions.reason).toBe('KEY_NOT_FOUND');
    }
    expect(fetches).toBe(1);
  });
});
