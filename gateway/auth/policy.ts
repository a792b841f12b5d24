import type { OrganisationKind, OrganisationRow } from '../database/schema.ts';
import { UserError } from '../errors.ts';
import type { GatewayContext } from '../graphql/context.ts';
import { DEV_HEADER_ISSUER } from './dev-principal-header.ts';
import type { Principal, Role } from './principal.ts';

const KIND_OF_ROLE: Record<Role, OrganisationKind> = {
  authority: 'AUTHORITY',
  provider: 'PROVIDER',
  coordinator: 'COORDINATOR',
};

export interface Actor {
  principal: Principal;
  organisation: OrganisationRow;
}

/**
 * The one place that decides whether the caller may act in a role: signed in, holding the role, and
 * acting for a registered organisation of the matching kind. `action` names what was attempted, so
 * every refusal says what was refused and why.
 */
export async function requireRole(context: GatewayContext, role: Role, action: string): Promise<Actor> {
  const principal = context.principal;
  if (!principal) {
    throw new UserError(
      'UNAUTHENTICATED',
      `${action} needs a signed-in ${role}; send an access token as "Authorization: Bearer <token>".`,
    );
  }
  if (!principal.roles.includes(role)) {
    throw new UserError(
      'FORBIDDEN',
      `${action} needs the role ${role}; your token has ${principal.roles.length > 0 ? principal.roles.join(', ') : 'no catalogue roles'}.`,
    );
  }
  if (!principal.organisationId) {
    throw new UserError('FORBIDDEN', `${action} needs an organisation, and your token names none.`);
  }
  const organisation = await context.loaders.organisation.load(principal.organisationId);
  if (!organisation) {
    throw new UserError(
      'FORBIDDEN',
      `Your organisation "${principal.organisationId}" is not registered in the catalogue; a coordinator registers it.`,
    );
  }
  if (!signsInFor(principal, organisation)) {
    throw new UserError(
      'FORBIDDEN',
      `Organisation "${organisation.id}" signs in at ${organisation.issuer}; your token is from ${principal.issuer}, which does not act for it.`,
    );
  }
  if (organisation.kind !== KIND_OF_ROLE[role]) {
    throw new UserError(
      'FORBIDDEN',
      `${action} needs a ${KIND_OF_ROLE[role]} organisation; "${organisation.id}" is registered as ${organisation.kind}.`,
    );
  }
  return { principal, organisation };
}

/**
 * Whether the caller's issuer vouches for the organisation its token names: the organisation's own
 * issuer, or any trusted one for an organisation bound to none. Another trusted issuer (a Land's for an
 * organisation of the Bund's) can put any id into its organisation claim; that does not make it so.
 * The demo mode's development header names whom it likes by design.
 */
export function signsInFor(principal: Principal, organisation: OrganisationRow): boolean {
  return (
    organisation.issuer === null ||
    organisation.issuer === principal.issuer ||
    principal.issuer === DEV_HEADER_ISSUER
  );
}

/** Providers change only their own organisation's listings. */
export function assertOwnService(
  actor: Actor,
  service: { id: string; provider_id: string },
  action: string,
): void {
  if (service.provider_id !== actor.organisation.id) {
    throw new UserError(
      'FORBIDDEN',
      `${action}: service ${service.id} belongs to provider "${service.provider_id}", not to "${actor.organisation.id}".`,
    );
  }
}

const ROLE_OF_KIND = Object.fromEntries(
  Object.entries(KIND_OF_ROLE).map(([role, kind]) => [kind, role as Role]),
) as Record<OrganisationKind, Role>;

/**
 * The caller acting for its own organisation, in the role that organisation's kind implies (an
 * authority's member as authority, and so on). Refuses like requireRole: not signed in, no or an
 * unregistered organisation, or not holding that role.
 */
export async function requireOwnOrganisation(
  context: GatewayContext,
  action: string,
): Promise<Actor & { role: Role }> {
  const organisationId = context.principal?.organisationId;
  const organisation = organisationId ? await context.loaders.organisation.load(organisationId) : null;
  // Without a registered organisation any role gives the same refusal; requireRole words it.
  const role = organisation ? ROLE_OF_KIND[organisation.kind] : (context.principal?.roles[0] ?? 'authority');
  return { ...(await requireRole(context, role, action)), role };
}

/** Whether the caller sees an organisation's data that is not public: its own members and coordinators do. */
export function mayAccessOrganisation(actor: Actor & { role: Role }, organisationId: string): boolean {
  return actor.role === 'coordinator' || actor.organisation.id === organisationId;
}

/**
 * Data that belongs to one organisation and is not public (an authority's record, its subscriptions):
 * the organisation's own members and coordinators see it, nobody else. Returns the caller.
 */
export async function requireOrganisationAccess(
  context: GatewayContext,
  organisationId: string,
  action: string,
): Promise<Actor & { role: Role }> {
  const actor = await requireOwnOrganisation(context, action);
  if (mayAccessOrganisation(actor, organisationId)) return actor;
  throw new UserError(
    'FORBIDDEN',
    `${action}: organisation "${organisationId}" is visible only to its own members and to coordinators; you act for "${actor.organisation.id}".`,
  );
}

/**
 * A provider's harvest endpoint is managed by the provider itself and by coordinators: anyone else,
 * an authority for its own organisation id included, lacks the role (FORBIDDEN).
 */
export async function requireEndpointManager(
  context: GatewayContext,
  providerId: string,
  action: string,
): Promise<Actor & { role: Role }> {
  const actor = await requireOrganisationAccess(context, providerId, action);
  if (actor.role !== 'coordinator' && actor.role !== 'provider') {
    throw new UserError('FORBIDDEN', `${action} needs a provider (for its own endpoint) or a coordinator.`);
  }
  return actor;
}
