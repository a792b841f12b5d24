import { readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdentityProvider } from '../../services/identity-provider/identity-provider.ts';
import { signIn, startTestIdentityProvider } from '../helpers/identity-provider.ts';
import { registerOrganisation } from '../helpers/listings.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import type { RejectionCase, RejectionFixture } from './rejection-case.ts';

// Every file in rejections/ is one attack on token verification and declares the refusal it expects.
const folder = new URL('./rejections/', import.meta.url);
const cases: { file: string; definition: RejectionCase }[] = [];
for (const file of readdirSync(folder)
  .filter((name) => name.endsWith('.ts'))
  .sort()) {
  const module = (await import(new URL(file, folder).href)) as { default: RejectionCase };
  cases.push({ file, definition: module.default });
}

let issuer: IdentityProvider;
let secondIssuer: IdentityProvider;
let attackerServer: Server;
let attackerRequests = 0;
let t: TestServer;
let fixture: RejectionFixture;

beforeAll(async () => {
  issuer = await startTestIdentityProvider();
  secondIssuer = await startTestIdentityProvider({ algorithm: 'RS256' });
  const attackerKeys = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = { ...(await exportJWK(attackerKeys.publicKey)), kid: 'attacker', alg: 'ES256' };
  const privateJwk = { ...(await exportJWK(attackerKeys.privateKey)), kid: 'attacker', alg: 'ES256' };
  // The attacker's own server: a token may name it, the gateway must never call it.
  attackerServer = createServer((_req, res) => {
    attackerRequests++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [publicJwk] }));
  });
  await new Promise<void>((resolve) => attackerServer.listen(0, '127.0.0.1', resolve));
  const attackerUrl = `http://127.0.0.1:${(attackerServer.address() as AddressInfo).port}`;

  t = await startTestServer({ env: { OIDC_ISSUER: `${issuer.issuer}, ${secondIssuer.issuer}` } });
  await registerOrganisation(t.db, 'dataport', 'PROVIDER');
  fixture = {
    issuer,
    secondIssuer,
    ...(await signIn(issuer, 'provider@dataport')),
    attacker: { privateJwk, publicJwk, jwksUrl: `${attackerUrl}/jwks.json` },
  };
});

afterAll(async () => {
  await t?.close();
  await issuer?.close();
  await secondIssuer?.close();
  await new Promise((resolve) => attackerServer?.close(resolve));
});

const PUBLIC_QUERY = '{ services(first: 1) { totalCount } }';

describe('token verification refuses', () => {
  it('nothing: the real token of the fixture is accepted (so every refusal below is about its change)', async () => {
    const response = await t.graphql('{ me { subject issuer } }', {}, { token: fixture.realToken });
    expect(response.errors).toBeUndefined();
    expect(response.data?.me).toEqual({ subject: 'provider@dataport', issuer: issuer.issuer });
  });

  for (const { file, definition } of cases) {
    it(`${definition.title} (${file}): UNAUTHENTICATED, ${definition.reason}, even for public data`, async () => {
      const response = await fetch(`${t.url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: await definition.authorization(fixture),
        },
        body: JSON.stringify({ query: PUBLIC_QUERY }),
      });
      const body = (await response.json()) as {
        data?: unknown;
        errors?: { extensions: Record<string, unknown> }[];
      };
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
      expect(body.data).toBeUndefined();
      expect(body.errors?.[0]?.extensions).toMatchObject({
        code: 'UNAUTHENTICATED',
        reason: definition.reason,
      });
      expect(attackerRequests).toBe(0);
    });
  }
});
