import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { notAnAccessToken } from '../../gateway/auth/access-token-type.ts';

export interface BearerTokenOptions {
  /** The trusted issuer; its keys are found through its OIDC discovery document. */
  issuer: string;
  /** The audience the node requires in `aud` (the audience the endpoint is registered with). */
  audience: string;
}

/** Why a request's credentials were refused. */
export class TokenRefused extends Error {}

/**
 * The token could not be checked: the issuer's discovery document or keys could not be fetched. Not
 * the caller's fault, and worth a retry (503), where a refusal (401) is final for a harvester.
 */
export class TokenCheckUnavailable extends Error {}

/** Whether a failed check is the key set's fetch (network, timeout, a bad answer), not the token. */
function keysUnreachable(error: unknown): boolean {
  if (!(error instanceof errors.JOSEError)) return true;
  return error.code === 'ERR_JWKS_TIMEOUT' || error.code === 'ERR_JOSE_GENERIC';
}

const ASYMMETRIC = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'];

/**
 * Verifies client-credentials access tokens (JWT) of the configured issuer: signature with the issuer's
 * published keys, `iss`, `aud`, `exp` required, 30 s clock tolerance, asymmetric algorithms only, and
 * no ID token or other token that is not an access token.
 */
export function bearerTokenVerifier(options: BearerTokenOptions) {
  let keySet: ReturnType<typeof createRemoteJWKSet> | undefined;

  async function keys(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    if (keySet) return keySet;
    const discovery = new URL('.well-known/openid-configuration', options.issuer.replace(/\/?$/, '/'));
    const response = await fetch(discovery, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) throw new Error(`OIDC discovery at ${discovery.href} answered ${response.status}`);
    const metadata = (await response.json()) as { issuer?: string; jwks_uri?: string };
    if (metadata.issuer !== options.issuer) {
      throw new Error(`the discovery document names issuer ${metadata.issuer}, not ${options.issuer}`);
    }
    if (!metadata.jwks_uri) throw new Error(`the discovery document of ${options.issuer} has no jwks_uri`);
    keySet = createRemoteJWKSet(new URL(metadata.jwks_uri));
    return keySet;
  }

  return async function verify(authorization: string | undefined): Promise<JWTPayload> {
    const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(authorization ?? '');
    if (!match) throw new TokenRefused('this endpoint needs "Authorization: Bearer <access token>"');
    let keySet;
    try {
      keySet = await keys();
    } catch (error) {
      throw new TokenCheckUnavailable(
        `cannot check the access token: the issuer ${options.issuer} cannot be reached (${(error as Error).message})`,
        { cause: error },
      );
    }
    let verified;
    try {
      verified = await jwtVerify(match[1]!, keySet, {
        issuer: options.issuer,
        audience: options.audience,
        algorithms: ASYMMETRIC,
        requiredClaims: ['exp'],
        clockTolerance: 30,
      });
    } catch (error) {
      if (keysUnreachable(error)) {
        throw new TokenCheckUnavailable(
          `cannot check the access token: the keys of ${options.issuer} cannot be fetched (${(error as Error).message})`,
          { cause: error },
        );
      }
      throw new TokenRefused(`the access token was refused: ${(error as Error).message}`, { cause: error });
    }
    const other = notAnAccessToken(verified.protectedHeader, verified.payload);
    if (other) throw new TokenRefused(`the token is not an access token (${other})`);
    return verified.payload;
  };
}
