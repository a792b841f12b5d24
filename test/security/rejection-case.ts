import type { JWK } from 'jose';
import type { TokenRejection } from '../../gateway/auth/oidc-authenticator.ts';
import type { IdentityProvider } from '../../services/identity-provider/identity-provider.ts';

/** What every rejection case can build its token from. */
export interface RejectionFixture {
  /** The trusted issuer the gateway knows first (ES256). */
  issuer: IdentityProvider;
  /** A second trusted issuer (RS256). */
  secondIssuer: IdentityProvider;
  /** A real access token of `issuer` for provider@dataport. */
  realToken: string;
  /** The real ID token `issuer` issued next to `realToken` (to its browser client). */
  realIdToken: string;
  /** A key pair nobody trusts, whose public keys an attacker serves at `jwksUrl`. */
  attacker: { privateJwk: JWK; publicJwk: JWK; jwksUrl: string };
}

/** One attack on token verification (test/security/rejections/*.ts), declaring the refusal it expects. */
export interface RejectionCase {
  title: string;
  /** `extensions.reason` next to code UNAUTHENTICATED (HTTP 401). */
  reason: TokenRejection;
  /** The Authorization header value to send. */
  authorization(fixture: RejectionFixture): Promise<string>;
}

/** Declares a rejection case; the shape keeps every case file small and alike. */
export function rejectionCase(definition: RejectionCase): RejectionCase {
  return definition;
}

/** `Bearer <token>`. */
export function bearer(token: string): string {
  return `Bearer ${token}`;
}
