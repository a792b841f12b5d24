// Discovery and key set requests go through the guarded fetch: an issuer's metadata cannot send the
// gateway to the cloud metadata service or a private address, and the issuer is retried only after a pause.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken, TEST_AUDIENCE } from '../helpers/identity-provider.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

let issuerServer: Server;
let issuer: string;
let discoveryRequests = 0;
let brokenServer: Server;
let brokenIssuer: string;
let brokenRequests = 0;
let t: TestServer;

beforeAll(async () => {
  // An issuer whose metadata names the cloud metadata service as its key set.
  issuerServer = createServer((req, res) => {
    discoveryRequests++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        issuer,
        jwks_uri: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
        authorization_endpoint: `${issuer}/auth`,
        token_endpoint: `${issuer}/token`,
      }),
    );
  });
  await new Promise<void>((resolve) => issuerServer.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(issuerServer.address() as AddressInfo).port}`;
  // An issuer that is down.
  brokenServer = createServer((_req, res) => {
    brokenRequests++;
    res.writeHead(503).end();
  });
  await new Promise<void>((resolve) => brokenServer.listen(0, '127.0.0.1', resolve));
  brokenIssuer = `http://127.0.0.1:${(brokenServer.address() as AddressInfo).port}`;
  t = await startTestServer({
    env: { OIDC_ISSUER: `${issuer} ${brokenIssuer} https://10.20.30.40/realms/intern` },
  });
});

afterAll(async () => {
  await t?.close();
  await new Promise((resolve) => issuerServer?.close(resolve));
  await new Promise((resolve) => brokenServer?.close(resolve));
});

async function tokenOf(iss: string): Promise<string> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const now = Math.floor(Date.now() / 1000);
  return signToken(
    { iss, sub: 'someone', aud: TEST_AUDIENCE, iat: now, exp: now + 300, roles: ['coordinator'] },
    { ...(await exportJWK(privateKey)), kid: 'k1', alg: 'ES256' },
  );
}

describe('OIDC requests through the guarded fetch', () => {
  it('refuse a key set on the cloud metadata address (UNAUTHENTICATED, ISSUER_UNAVAILABLE)', async () => {
    const response = await t.graphql('{ me { subject } }', {}, { token: await tokenOf(issuer) });
    expect(response.errors?.[0]?.extensions).toMatchObject({
      code: 'UNAUTHENTICATED',
      reason: 'ISSUER_UNAVAILABLE',
    });
    expect(discoveryRequests).toBe(1);
  });

  it('answer 503 with Retry-After, not 401, when the issuer cannot be asked: the token is not at fault', async () => {
    const response = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await tokenOf(issuer)}` },
      body: JSON.stringify({ query: '{ me { subject } }' }),
    });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(response.headers.get('www-authenticate')).toBeNull();
    const body = (await response.json()) as { errors: { extensions: Record<string, unknown> }[] };
    expect(body.errors[0]?.extensions).toMatchObject({
      code: 'UNAUTHENTICATED',
      reason: 'ISSUER_UNAVAILABLE',
    });
  });

  it('refuse an issuer on a private address unless OUTBOUND_ALLOWED_ADDRESSES allows it', async () => {
    const response = await t.graphql(
      '{ me { subject } }',
      {},
      { token: await tokenOf('https://10.20.30.40/realms/intern') },
    );
    expect(response.errors?.[0]?.extensions).toMatchObject({
      code: 'UNAUTHENTICATED',
      reason: 'ISSUER_UNAVAILABLE',
    });
  });

  it('do not ask an issuer that is down again for every token', async () => {
    for (let i = 0; i < 5; i++) {
      const response = await t.graphql('{ me { subject } }', {}, { token: await tokenOf(brokenIssuer) });
      expect(response.errors?.[0]?.extensions.reason).toBe('ISSUER_UNAVAILABLE');
    }
    expect(brokenRequests).toBe(1);
  });
});
