/** The roles the catalogue knows; they arrive in the claim named by OIDC_ROLES_CLAIM. */
export const ROLES = ['authority', 'provider', 'coordinator'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: taken from a verified access token (or, in demo mode only, the development header). */
export interface Principal {
  subject: string;
  roles: Role[];
  /** The organisation the caller acts for (claim OIDC_ORG_CLAIM); null when the token names none. */
  organisationId: string | null;
  /** The issuer that vouched for the caller; `dev-header` for the demo-mode development header. */
  issuer: string;
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
