import type { JWTPayload, ProtectedHeaderParameters } from 'jose';

// The JWT types ("typ" header, compared without case) an access token may declare: RFC 9068's, and the
// generic one that Keycloak and Entra ID write into theirs. Any other declared type (an ID token of a
// provider that types them, a logout token, a DPoP proof) is some other token.
const ACCESS_TOKEN_TYPES = new Set(['at+jwt', 'application/at+jwt', 'jwt']);

// Claims that only an OpenID Connect ID token carries (hashes binding it to an access token or a code).
const ID_TOKEN_CLAIMS = ['at_hash', 'c_hash'] as const;

/**
 * Why a verified JWT is not an access token (an ID token, a logout token, …), or null when it may be one.
 * An ID token issued to a client whose id equals the required audience would otherwise pass the audience
 * check: it proves who signed in to that client, not that the client may act for them.
 */
export function notAnAccessToken(header: ProtectedHeaderParameters, payload: JWTPayload): string | null {
  const declared = header.typ;
  if (
    declared !== undefined &&
    (typeof declared !== 'string' || !ACCESS_TOKEN_TYPES.has(declared.toLowerCase()))
  )
    return `it is of type ${JSON.stringify(declared)}, not "at+jwt"`;
  // Keycloak types its tokens in a claim: "Bearer" for access tokens, "ID", "Refresh", "Logout" otherwise.
  const typ = payload.typ;
  if (typ !== undefined && (typeof typ !== 'string' || typ.toLowerCase() !== 'bearer'))
    return `its "typ" claim is ${JSON.stringify(typ)}, not "Bearer"`;
  const idClaims = ID_TOKEN_CLAIMS.filter((claim) => payload[claim] !== undefined);
  if (idClaims.length > 0) return `it carries ${idClaims.join(' and ')}, which only ID tokens do`;
  return null;
}
