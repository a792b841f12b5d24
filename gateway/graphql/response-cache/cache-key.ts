import { createHash } from 'node:crypto';
import type { Principal } from '../../auth/principal.ts';

/**
 * Whose view of the catalogue a response is, as a string. Anonymous callers all share one view. A
 * signed-in caller's view is their own: issuer, subject, organisation and roles. Keying by the
 * organisation and roles alone would let colleagues share entries, but some answers name the person
 * (`me`), and a cache that is safe only while every resolver remembers to opt out is not safe.
 */
export function visibilityOf(principal: Principal | null): string {
  if (principal === null) return 'anonymous';
  return JSON.stringify([
    principal.issuer,
    principal.subject,
    principal.organisationId,
    [...new Set(principal.roles)].sort(),
  ]);
}

/**
 * The cache key of a GraphQL POST: its visibility, the response media type it accepts, and the exact
 * request body (operation, operation name, variables, extensions). The raw body is hashed rather
 * than its parsed form, so that a hit needs no JSON parsing; the same request sent twice is the same
 * bytes.
 */
export function responseCacheKey(visibility: string, accept: string, body: Buffer): string {
  return createHash('sha256')
    .update(visibility)
    .update('\n')
    .update(accept)
    .update('\n')
    .update(body)
    .digest('base64url');
}
