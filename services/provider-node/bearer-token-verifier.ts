import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';

export interface BearerTokenOptions {
  /** The trusted issuer; its keys are found through its OIDC discovery document. */
  issuer: string;
  /** The audience the node requires in `aud` (the audience the endpoint is registered with). */
  audience: string;
}

/** Why a request's credentials were refused. */
export class TokenRefused extends Error {}

const ASYMMETRIC = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'];

/**
 * Verifies client-credentials access tokens (JWT) of the configured issuer: signature with the issuer's
 * published keys, `iss`, `aud`, `exp` required, 30 s clock tolerance, asymmetric algorithms only.
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
    try {
      const { payload } = await jwtVerify(match[1]!, await keys(), {
        issuer: options.issuer,
        audience: options.audience,
        algorithms: ASYMMETRIC,
        requiredClaims: ['exp'],
        clockTolerance: 30,
      });
      return payload;
    } catch (error) {
      throw new TokenRefused(`the access token was refused: ${(error as Error).message}`, { cause: error });
    }
  };
}
