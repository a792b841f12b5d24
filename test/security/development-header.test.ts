// The development header X-Dev-Principal: accepted in demo mode next to real tokens, refused in
// production mode, where it must never be mistaken for a sign-in, nor for no credential at all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromEnv } from '../../gateway/config.ts';
import type { IdentityProvider } from '../../services/identity-provider/identity-provider.ts';
import { startTestIdentityProvider, tokenFor } from '../helpers/identity-provider.ts';
import { registerOrganisation } from '../helpers/listings.ts';
import { startTestServer, testConfig, type TestServer } from '../helpers/test-server.ts';

const ME = '{ me { subject issuer } }';
const PUBLIC = '{ services(first: 1) { totalCount } }';
let idp: IdentityProvider;
let production: TestServer;
let demo: TestServer;

beforeAll(async () => {
  idp = await startTestIdentityProvider();
  production = await startTestServer({ env: { OIDC_ISSUER: idp.issuer } });
  // Demo mode as `npm start` runs it: the development identity provider is trusted, the header works too.
  const demoConfig = testConfig();
  demo = await startTestServer({ config: { oidc: { ...demoConfig.oidc, issuers: [idp.issuer] } } });
  for (const t of [production, demo]) await registerOrganisation(t.db, 'dataport', 'PROVIDER');
});

afterAll(async () => {
  await production?.close();
  await demo?.close();
  await idp?.close();
});

describe('in production mode (OIDC_ISSUER set)', () => {
  it('the configuration turns the header and the demo data off', () => {
    const config = configFromEnv({ OIDC_ISSUER: idp.issuer, DEMO_DATA: 'true' });
    expect(config).toMatchObject({ mode: 'production', devPrincipalHeader: false, seedDemoData: false });
  });

  it('the header is refused (UNAUTHENTICATED, HTTP 401), even for public data', async () => {
    const response = await production.graphql(PUBLIC, {}, { as: 'coordinator@koordinierungsstelle' });
    expect(response.status).toBe(401);
    expect(response.data).toBeUndefined();
    expect(response.errors?.[0]?.extensions).toMatchObject({
      code: 'UNAUTHENTICATED',
      reason: 'DEV_HEADER_REFUSED',
    });
  });

  it('the header is refused next to a valid token as well', async () => {
    const token = await tokenFor(idp, 'provider@dataport');
    const response = await production.graphql(ME, {}, { token, as: 'provider@dataport' });
    expect(response.errors?.[0]?.extensions.reason).toBe('DEV_HEADER_REFUSED');
  });

  it('a bearer token signs in', async () => {
    const token = await tokenFor(idp, 'provider@dataport');
    expect((await production.graphql(ME, {}, { token })).data!.me).toEqual({
      subject: 'provider@dataport',
      issuer: idp.issuer,
    });
  });
});

describe('in demo mode with the development identity provider', () => {
  it('the header still names the caller', async () => {
    expect((await demo.graphql(ME, {}, { as: 'provider@dataport' })).data!.me).toEqual({
      subject: 'dev:provider@dataport',
      issuer: 'dev-header',
    });
  });

  it("the identity provider's tokens sign in", async () => {
    const token = await tokenFor(idp, 'provider@dataport');
    expect((await demo.graphql(ME, {}, { token })).data!.me.issuer).toBe(idp.issuer);
  });

  it('a token and the header together are refused (UNAUTHENTICATED): one caller, one credential', async () => {
    const token = await tokenFor(idp, 'provider@dataport');
    const response = await demo.graphql(ME, {}, { token, as: 'coordinator@koordinierungsstelle' });
    expect(response.status).toBe(401);
    expect(response.errors?.[0]?.extensions).toMatchObject({
      code: 'UNAUTHENTICATED',
      reason: 'AMBIGUOUS_CREDENTIALS',
    });
  });
});
