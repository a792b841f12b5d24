import type { IncomingMessage } from 'node:http';
import {
  createRemoteJWKSet,
  customFetch as joseCustomFetch,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
  type ProtectedHeaderParameters,
} from 'jose';
import * as openid from 'openid-client';
import type { OidcConfig } from '../config.ts';
import { UserError } from '../errors.ts';
import { notAnAccessToken } from './access-token-type.ts';
import type { Authenticator } from './authenticator.ts';
import { isRole, type Principal } from './principal.ts';
import { isJsonObject } from '../../catalog-schema/json-object.ts';
import { unstorable } from '../../catalog-schema/storable-text.ts';

/** The only signature algorithms accepted: asymmetric ones, so that nothing public can forge a token. */
export const ACCEPTED_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;

/**
 * Every outbound request of token verification (discovery, key sets) goes through one function of this
 * shape, so that a guarded fetch (no private addresses, size and time limits) can be put in its place.
 */
export type OutboundFetch = (url: string, init: RequestInit) => Promise<Response>;

/**
 * Why a token was refused: a stable value in `extensions.reason` next to the code UNAUTHENTICATED, so a
 * client (and a test) can tell an expired token from a forged one.
 */
export type TokenRejection =
  | 'NOT_A_BEARER_TOKEN'
  | 'TOKEN_TOO_LARGE'
  | 'TOKEN_MALFORMED'
  | 'ALGORITHM_NOT_ALLOWED'
  | 'NOT_AN_ACCESS_TOKEN'
  | 'KEY_IN_HEADER'
  | 'ISSUER_NOT_TRUSTED'
  | 'ISSUER_UNAVAILABLE'
  | 'KEY_NOT_FOUND'
  | 'SIGNATURE_INVALID'
  | 'TOKEN_EXPIRED'
  | 'TOKEN_NOT_YET_VALID'
  | 'AUDIENCE_MISMATCH'
  | 'CLAIM_MISSING'
  | 'CLAIM_INVALID';

export interface OidcAuthenticatorOptions {
  /** Performs discovery and key set requests. Default: the global fetch. */
  fetch?: OutboundFetch;
}

// Header parameters with which a token names or carries the key to check it with. Keys come only from
// the configured issuer's key set, so a token that brings its own is refused rather than ignored.
const KEY_SELECTING_HEADERS = ['jku', 'x5u', 'jwk', 'x5c'] as const;

// After a failed discovery, tokens of that issuer are refused for this long before it is tried again,
// so that an unreachable identity provider is not asked once per request.
export const DISCOVERY_RETRY_MS = 5000;

function refuse(reason: TokenRejection, message: string): UserError {
  return new UserError('UNAUTHENTICATED', message, { reason });
}

/** Reads a claim by name, or, when no claim has that exact name, by dotted path (`realm_access.roles`). */
export function readClaim(payload: Record<string, unknown>, path: string): unknown {
  if (Object.hasOwn(payload, path)) return payload[path];
  let value: unknown = payload;
  for (const part of path.split('.')) {
    if (!isJsonObject(value) || !Object.hasOwn(value, part)) return undefined;
    value = value[part];
  }
  return value;
}

function rolesFrom(value: unknown): Principal['roles'] {
  const values = typeof value === 'string' ? value.split(/[\s,]+/) : Array.isArray(value) ? value : [];
  // Identity providers add roles of their own (Keycloak: offline_access); only the catalogue's count.
  return [...new Set(values.filter(isRole))];
}

function isLoopback(url: URL): boolean {
  return ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);
}

interface IssuerKeys {
  keys: Promise<JWTVerifyGetKey> | null;
  failedUntil: number;
}

/** The issuer's key set could not be fetched: the token may be fine, the issuer is not reachable. */
class KeySetUnavailable extends Error {}

/**
 * Verifies `Authorization: Bearer <JWT>` access tokens against the configured issuers: metadata by
 * OpenID Connect discovery, keys from the issuer's JWKS (cached; an unknown `kid` refetches after a
 * cooldown). The token's `iss` only selects among the configured issuers: nothing a token names is
 * ever fetched. No Authorization header means anonymous; any other failure is UNAUTHENTICATED.
 */
export function createOidcAuthenticator(
  config: OidcConfig,
  options: OidcAuthenticatorOptions = {},
): Authenticator {
  const outboundFetch: OutboundFetch = options.fetch ?? ((url, init) => fetch(url, init));
  const issuers = new Map<string, IssuerKeys>(
    config.issuers.map((issuer) => [issuer, { keys: null, failedUntil: 0 }]),
  );

  async function discover(issuer: string) {
    const url = new URL(issuer);
    // openid-client wants a client id; the gateway is only a resource server and never uses it.
    const configuration = await openid.discovery(url, config.audience, undefined, openid.None(), {
      [openid.customFetch]: outboundFetch,
      timeout: Math.ceil(config.httpTimeoutMs / 1000),
      execute: url.protocol === 'http:' && isLoopback(url) ? [openid.allowInsecureRequests] : [],
    });
    const jwksUri = configuration.serverMetadata().jwks_uri;
    if (!jwksUri) throw new Error(`issuer ${issuer} publishes no jwks_uri`);
    const remote = createRemoteJWKSet(new URL(jwksUri), {
      cooldownDuration: config.jwksCooldownMs,
      cacheMaxAge: config.jwksCacheMaxAgeMs,
      timeoutDuration: config.httpTimeoutMs,
      [joseCustomFetch]: outboundFetch,
    });
    const getKey: JWTVerifyGetKey = async (protectedHeader, token) => {
      try {
        return await remote(protectedHeader, token);
      } catch (error) {
        // Only "no such key" is about the token; anything else means the key set could not be had.
        if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
          throw error;
        throw new KeySetUnavailable(`fetching the key set ${jwksUri} failed`, { cause: error });
      }
    };
    return getKey;
  }

  function keysOf(issuer: string, entry: IssuerKeys) {
    if (entry.keys) return entry.keys;
    if (Date.now() < entry.failedUntil) {
      return Promise.reject(
        refuse('ISSUER_UNAVAILABLE', `The token's issuer ${issuer} could not be reached; try again shortly.`),
      );
    }
    const keys = discover(issuer).catch((error: unknown) => {
      entry.keys = null;
      entry.failedUntil = Date.now() + DISCOVERY_RETRY_MS;
      console.error(`OIDC discovery of ${issuer} failed:`, error);
      throw refuse(
        'ISSUER_UNAVAILABLE',
        `The token's issuer ${issuer} could not be reached; try again shortly.`,
      );
    });
    entry.keys = keys;
    return keys;
  }

  return {
    async authenticate(req: IncomingMessage): Promise<Principal | null> {
      const header = req.headers.authorization;
      if (header === undefined) return null;
      if (Buffer.byteLength(header) > config.maxTokenBytes + 'Bearer '.length) {
        throw refuse(
          'TOKEN_TOO_LARGE',
          `The access token is larger than ${config.maxTokenBytes} bytes and was not read.`,
        );
      }
      const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(header);
      if (!match) {
        throw refuse(
          'NOT_A_BEARER_TOKEN',
          'The Authorization header must be "Bearer <access token>"; other schemes are not accepted.',
        );
      }
      const token = match[1]!;

      let protectedHeader: ProtectedHeaderParameters;
      let unverified: JWTPayload;
      try {
        protectedHeader = decodeProtectedHeader(token);
        unverified = decodeJwt(token);
      } catch {
        throw refuse('TOKEN_MALFORMED', 'The access token is not a well-formed signed JWT.');
      }
      const alg = protectedHeader.alg;
      if (typeof alg !== 'string' || !(ACCEPTED_ALGORITHMS as readonly string[]).includes(alg)) {
        throw refuse(
          'ALGORITHM_NOT_ALLOWED',
          `The access token is signed with ${typeof alg === 'string' ? `"${alg}"` : 'no algorithm'}; accepted are ${ACCEPTED_ALGORITHMS.join(', ')}.`,
        );
      }
      const named = KEY_SELECTING_HEADERS.filter((name) => protectedHeader[name] !== undefined);
      if (named.length > 0) {
        throw refuse(
          'KEY_IN_HEADER',
          `The access token names its own key (${named.join(', ')}); keys are taken only from the trusted issuer.`,
        );
      }
      const issuer = unverified.iss;
      const entry = typeof issuer === 'string' ? issuers.get(issuer) : undefined;
      if (typeof issuer !== 'string' || !entry) {
        throw refuse(
          'ISSUER_NOT_TRUSTED',
          `The access token's issuer ${typeof issuer === 'string' ? `"${issuer}" ` : ''}is not trusted here; trusted: ${config.issuers.join(', ') || 'none'}.`,
        );
      }

      const keys = await keysOf(issuer, entry);
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          issuer,
          audience: config.audience,
          algorithms: [...ACCEPTED_ALGORITHMS],
          clockTolerance: config.clockToleranceSeconds,
          requiredClaims: ['exp', 'sub'],
        }));
      } catch (error) {
        throw translate(error, issuer, config.audience);
      }
      const other = notAnAccessToken(protectedHeader, payload);
      if (other) {
        throw refuse(
          'NOT_AN_ACCESS_TOKEN',
          `The token is not an access token (${other}); send the access token, not the ID token.`,
        );
      }
      return {
        subject: subjectFrom(payload.sub),
        roles: rolesFrom(readClaim(payload, config.rolesClaim)),
        organisationId: organisationFrom(
          readClaim(payload, config.organisationClaim),
          config.organisationClaim,
        ),
        issuer,
      };
    },
  };
}

/**
 * The organisation a token's claim names. Besides a plain string, the two shapes Keycloak's
 * organisation mapper writes: a list of organisation aliases (`["dataport"]`), or, with its
 * attributes, an object keyed by alias (`{ "dataport": { "id": "…" } }`). The catalogue acts for one
 * organisation per request, so a claim naming several is refused (CLAIM_INVALID), not guessed from.
 */
function organisationFrom(value: unknown, claim: string): string | null {
  const names =
    typeof value === 'string'
      ? [value]
      : Array.isArray(value)
        ? value.filter((v): v is string => typeof v === 'string')
        : value !== null && typeof value === 'object'
          ? Object.keys(value)
          : [];
  const named = [...new Set(names.filter((name) => name !== ''))];
  if (named.length > 1) {
    throw refuse(
      'CLAIM_INVALID',
      `The access token's "${claim}" claim names ${named.length} organisations (${named.slice(0, 5).join(', ')}); the catalogue acts for one per request: request a token for one organisation (in Keycloak, the scope organization:<alias>).`,
    );
  }
  const name = named[0] ?? null;
  if (name !== null && unstorable(name)) {
    throw refuse('CLAIM_INVALID', `The access token's "${claim}" claim holds ${unstorable(name)}.`);
  }
  return name;
}

/**
 * The caller's subject, recorded with everything they write: a string of 1 to 255 characters, as
 * OpenID Connect defines it, that PostgreSQL can store. jose checks only that the claim is there.
 */
function subjectFrom(value: unknown): string {
  if (typeof value !== 'string' || value === '' || value.length > 255) {
    throw refuse('CLAIM_INVALID', 'The access token\'s "sub" claim must be a string of 1 to 255 characters.');
  }
  const what = unstorable(value);
  if (what) throw refuse('CLAIM_INVALID', `The access token's "sub" claim holds ${what}.`);
  return value;
}

// jose's errors are translated once, here, into the reasons callers see.
function translate(error: unknown, issuer: string, audience: string): UserError {
  if (error instanceof UserError) return error;
  if (error instanceof errors.JWTExpired) return refuse('TOKEN_EXPIRED', 'The access token has expired.');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing')
      return refuse('CLAIM_MISSING', `The access token has no "${error.claim}" claim, which is required.`);
    // jose's reason: 'check_failed' for a time still ahead, 'invalid' for a claim that is no number.
    if (error.claim === 'nbf' && error.reason === 'check_failed')
      return refuse('TOKEN_NOT_YET_VALID', 'The access token is not valid yet.');
    if (error.claim === 'aud')
      return refuse(
        'AUDIENCE_MISMATCH',
        `The access token is not meant for this catalogue (audience "${audience}").`,
      );
    return refuse('CLAIM_INVALID', `The access token's "${error.claim}" claim is invalid.`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed)
    return refuse(
      'ALGORITHM_NOT_ALLOWED',
      'The access token is signed with an algorithm that is not accepted.',
    );
  if (error instanceof errors.JWKSNoMatchingKey)
    return refuse('KEY_NOT_FOUND', `No key of ${issuer} matches the access token's key id.`);
  if (error instanceof errors.JWKSMultipleMatchingKeys)
    return refuse(
      'KEY_NOT_FOUND',
      `Several keys of ${issuer} match the access token; it must name its key id.`,
    );
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return refuse('SIGNATURE_INVALID', 'The access token signature is invalid.');
  if (error instanceof KeySetUnavailable) {
    console.error(`${error.message}:`, error.cause);
    return refuse('ISSUER_UNAVAILABLE', `The keys of ${issuer} could not be fetched; try again shortly.`);
  }
  if (error instanceof errors.JOSEError)
    return refuse('TOKEN_MALFORMED', `The access token could not be verified: ${error.message}`);
  console.error('unexpected failure verifying an access token:', error);
  return refuse('ISSUER_UNAVAILABLE', 'The access token could not be verified; try again shortly.');
}
