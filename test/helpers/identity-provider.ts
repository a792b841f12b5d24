import { createHmac, createPublicKey, type JsonWebKey } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, importJWK, SignJWT, type JWK, type JWTPayload } from 'jose';
import {
  startIdentityProvider,
  type IdentityProvider,
  type IdentityProviderOptions,
} from '../../services/identity-provider/identity-provider.ts';
import { obtainToken } from '../../services/identity-provider/obtain-token.ts';

/** The audience the test gateways and identity providers agree on (the default OIDC_AUDIENCE). */
export const TEST_AUDIENCE = 'verwaltungscloud-catalogue';

/** Starts the real development identity provider on a free loopback port. */
export function startTestIdentityProvider(
  options: Partial<IdentityProviderOptions> = {},
): Promise<IdentityProvider> {
  return startIdentityProvider({ audience: TEST_AUDIENCE, ...options });
}

/** An access token for a demo account, obtained through the real OIDC flow (see obtainToken). */
export async function tokenFor(idp: IdentityProvider, account: string): Promise<string> {
  const machine = idp.machineClients.find((m) => m.clientId === account);
  return (await obtainToken(idp.issuer, account, { clientSecret: machine?.clientSecret })).accessToken;
}

function encode(part: unknown): string {
  return Buffer.from(typeof part === 'string' ? part : JSON.stringify(part)).toString('base64url');
}

/** The access token and the ID token of a demo account's browser sign-in at `idp`. */
export async function signIn(
  idp: IdentityProvider,
  account: string,
): Promise<{ realToken: string; realIdToken: string }> {
  const { accessToken, idToken } = await obtainToken(idp.issuer, account);
  if (!idToken) throw new Error(`the sign-in of ${account} brought no ID token`);
  return { realToken: accessToken, realIdToken: idToken };
}

/** Splits a compact JWS into its decoded header and payload. */
export function decodeToken(token: string): { header: Record<string, unknown>; payload: JWTPayload } {
  return { header: decodeProtectedHeader(token), payload: decodeJwt(token) };
}

/** Signs claims with a private JWK, as an issuer (or an attacker holding that key) would. */
export async function signToken(
  claims: JWTPayload,
  key: JWK,
  header: Record<string, unknown> = {},
): Promise<string> {
  const alg = (header.alg as string | undefined) ?? key.alg!;
  return new SignJWT(claims)
    .setProtectedHeader({ typ: 'at+jwt', kid: key.kid, ...header, alg })
    .sign(await importJWK(key, alg));
}

/**
 * The claims of a real access token of `idp` with `changes` applied (undefined deletes a claim), signed
 * with the issuer's current private key: a token the issuer could have issued.
 */
export async function issuerSignedToken(
  idp: IdentityProvider,
  base: string,
  changes: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
): Promise<string> {
  const claims: Record<string, unknown> = { ...decodeJwt(base), ...changes };
  for (const [name, value] of Object.entries(changes)) if (value === undefined) delete claims[name];
  return signToken(claims, idp.currentSigningKey().privateJwk, header);
}

/** A compact token from raw parts, signature computed by the caller (or none). */
export function rawToken(header: unknown, payload: unknown, signature = ''): string {
  return `${encode(header)}.${encode(payload)}.${signature}`;
}

/** HMAC-SHA256 over `header.payload` with `secret`: the "public key as HMAC secret" confusion attack. */
export function hs256Token(header: unknown, payload: unknown, secret: string | Buffer): string {
  const input = `${encode(header)}.${encode(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** The issuer's public key as PEM, the secret an algorithm-confusion attacker would try. */
export function publicKeyPem(jwk: JWK): string {
  return createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' })
    .export({ type: 'spki', format: 'pem' })
    .toString();
}
