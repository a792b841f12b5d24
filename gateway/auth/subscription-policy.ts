// Who may see and take which subscription step. The decisions live here, next to policy.ts, and every
// subscription resolver asks this module before the domain code runs.
import { UserError } from '../errors.ts';
import type { GatewayContext } from '../graphql/context.ts';
import { requireOwnOrganisation, requireRole, type Actor } from './policy.ts';
import type { Role } from './principal.ts';

/** Which subscriptions a caller may see. */
export type SubscriptionScope =
  | { kind: 'all' }
  | { kind: 'provider'; organisationId: string }
  | { kind: 'authority'; organisationId: string };

/** The organisations a subscription involves: the subscriber and the provider of the service. */
export interface SubscriptionParties {
  id: string;
  organisation_id: string;
  provider_id: string;
}

/** The caller in the role its organisation's kind implies, refused unless that role is one of `roles`. */
async function requireOneOf(
  context: GatewayContext,
  roles: readonly Role[],
  action: string,
): Promise<Actor & { role: Role }> {
  const actor = await requireOwnOrganisation(context, action);
  if (!roles.includes(actor.role)) {
    throw new UserError(
      'FORBIDDEN',
      `${action} needs the role ${roles.join(' or ')}; you act as ${actor.role} for "${actor.organisation.id}".`,
    );
  }
  return actor;
}

/**
 * Who may read subscriptions: coordinators see all, providers those to their services, authorities
 * their organisation's. Anonymous callers see none (UNAUTHENTICATED).
 */
export async function requireSubscriptionReader(
  context: GatewayContext,
  action: string,
): Promise<{ actor: Actor; scope: SubscriptionScope }> {
  const actor = await requireOwnOrganisation(context, action);
  const organisationId = actor.organisation.id;
  const scope: SubscriptionScope =
    actor.role === 'coordinator'
      ? { kind: 'all' }
      : actor.role === 'provider'
        ? { kind: 'provider', organisationId }
        : { kind: 'authority', organisationId };
  return { actor, scope };
}

/** Whether the scope covers this subscription. */
export function canSee(scope: SubscriptionScope, subscription: SubscriptionParties): boolean {
  if (scope.kind === 'all') return true;
  if (scope.kind === 'provider') return subscription.provider_id === scope.organisationId;
  return subscription.organisation_id === scope.organisationId;
}

/** A subscription the caller cannot see is answered as one that does not exist: its existence stays private. */
function notFound(id: string): UserError {
  return new UserError('NOT_FOUND', `There is no subscription ${id} that you can see.`, {
    subscriptionId: id,
  });
}

/** Authorities subscribe, always for their own organisation. */
export async function requireSubscriber(context: GatewayContext): Promise<Actor> {
  return requireRole(context, 'authority', 'subscribe');
}

/** Only the provider of the subscribed service accepts or rejects. */
export async function requireSubscriptionDecider(
  context: GatewayContext,
  subscription: SubscriptionParties | null,
  id: string,
  action: string,
): Promise<Actor> {
  const actor = await requireRole(context, 'provider', action);
  if (!subscription || subscription.provider_id !== actor.organisation.id) throw notFound(id);
  return actor;
}

/** The subscribing authority cancels its own organisation's subscriptions; a coordinator any. */
export async function requireSubscriptionCanceller(
  context: GatewayContext,
  subscription: SubscriptionParties | null,
  id: string,
): Promise<Actor> {
  const actor = await requireOneOf(context, ['authority', 'coordinator'], 'cancelSubscription');
  if (!subscription) throw notFound(id);
  if (actor.role === 'authority' && subscription.organisation_id !== actor.organisation.id)
    throw notFound(id);
  return actor;
}

/** A provider manages its own organisation's webhook. */
export async function requireWebhookOwner(context: GatewayContext, action: string): Promise<Actor> {
  return requireRole(context, 'provider', action);
}

/**
 * Delivery records: coordinators see every provider's (dead deliveries are theirs to follow up),
 * providers only their own.
 */
export async function requireDeliveryReader(
  context: GatewayContext,
  requestedProviderId: string | null,
  action = 'subscriptionDeliveries',
): Promise<{ actor: Actor; providerId: string | null }> {
  const actor = await requireOneOf(context, ['coordinator', 'provider'], action);
  if (actor.role === 'coordinator') return { actor, providerId: requestedProviderId };
  if (requestedProviderId !== null && requestedProviderId !== actor.organisation.id) {
    throw new UserError(
      'FORBIDDEN',
      `${action}: a provider sees only its own deliveries; you act for "${actor.organisation.id}".`,
    );
  }
  return { actor, providerId: actor.organisation.id };
}
