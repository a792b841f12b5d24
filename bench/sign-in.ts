// The benchmark's gateways run in production mode: bearer tokens from an OpenID Connect provider, and
// a certificate key from a file. The provider is the development identity provider, started here in
// the bench process with one account per scenario-4 authority; each signs in through the real
// authorization code flow, as a person at a portal would.
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { DemoAccount } from '../services/identity-provider/demo-accounts.ts';
import {
  startIdentityProvider,
  type IdentityProvider,
} from '../services/identity-provider/identity-provider.ts';
import { obtainToken } from '../services/identity-provider/obtain-token.ts';

/** The gateway's default OIDC_AUDIENCE. */
const AUDIENCE = 'verwaltungscloud-catalogue';

/** Starts the identity provider with one authority account (`authority@<id>`) per organisation id. */
export function startBenchIdentityProvider(authorityIds: readonly string[]): Promise<IdentityProvider> {
  const accounts: DemoAccount[] = authorityIds.map((id) => ({
    id: `authority@${id}`,
    name: `Sachbearbeitung (${id})`,
    roles: ['authority'],
    organisationId: id,
  }));
  return startIdentityProvider({ audience: AUDIENCE, accounts, machineClients: [] });
}

/** Signs each authority in (authorization code flow with PKCE) and returns its access token by id. */
export async function signIn(
  idp: IdentityProvider,
  authorityIds: readonly string[],
): Promise<Map<string, string>> {
  const tokens = new Map<string, string>();
  for (const id of authorityIds) {
    tokens.set(id, (await obtainToken(idp.issuer, `authority@${id}`)).accessToken);
  }
  return tokens;
}

/** Writes a new EC P-256 private key (PKCS#8 PEM) for CERTIFICATE_SIGNING_KEY_FILE to `path`. */
export function writeSigningKey(path: string): void {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
}
