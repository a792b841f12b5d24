import { UserError } from '../errors.ts';
import { isRole, type Principal } from './principal.ts';

/** The development-only header: `X-Dev-Principal: <role>[,<role>]@<organisation id>`. */
export const DEV_PRINCIPAL_HEADER = 'x-dev-principal';

/** The issuer of a principal that the development header names. */
export const DEV_HEADER_ISSUER = 'dev-header';

/**
 * Reads the development header. Only ever called when the gateway runs without OIDC_ISSUER (demo
 * mode) and the header is enabled; in production the header is ignored entirely.
 */
export function principalFromDevHeader(value: string): Principal {
  const match = /^([a-z,]+)@([a-z0-9][a-z0-9-]{1,62})$/.exec(value.trim());
  const roles = match?.[1]?.split(',') ?? [];
  if (!match || roles.length === 0 || !roles.every(isRole)) {
    throw new UserError(
      'UNAUTHENTICATED',
      `The ${DEV_PRINCIPAL_HEADER} header must look like "provider@dataport" (roles: authority, provider, coordinator).`,
    );
  }
  return {
    subject: `dev:${value.trim()}`,
    roles: roles.filter(isRole),
    organisationId: match[2] ?? null,
    issuer: DEV_HEADER_ISSUER,
  };
}
