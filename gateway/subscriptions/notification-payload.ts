import type { OrganisationRow } from '../database/schema.ts';
import type { ServiceSubscriptionRow, SubscriptionEventKind } from './subscription-tables.ts';
import type { StepActor } from './step-actor.ts';

/** The lifecycle steps a provider is told about. */
export type NotifiedStep = Extract<
  SubscriptionEventKind,
  'REQUESTED' | 'ACCEPTED' | 'REJECTED' | 'CANCELLED'
>;

/**
 * The body of a subscription notification (catalog-schema/subscription-notification.schema.json).
 * Frozen when the step commits: a retry sends exactly the same bytes' content.
 */
export interface SubscriptionNotification {
  type:
    'subscription.requested' | 'subscription.accepted' | 'subscription.rejected' | 'subscription.cancelled';
  /** Stable across retries: receivers use it to ignore a repeated delivery. */
  notificationId: string;
  /** The provider organisation the notification is addressed to. */
  provider: string;
  occurredAt: string;
  subscription: {
    id: string;
    state: ServiceSubscriptionRow['state'];
    serviceId: string;
    planId: string;
    schutzbedarf: ServiceSubscriptionRow['schutzbedarf'];
    organisation: { id: string; name: string; land: string | null; regionalschluessel: string | null };
    requestedAt: string;
  };
  step: {
    kind: NotifiedStep;
    at: string;
    by: { subject: string; organisation: string };
    reason: string | null;
  };
}

/** Builds the notification of one committed step. */
export function notificationPayload(input: {
  eventId: string;
  subscription: ServiceSubscriptionRow;
  organisation: OrganisationRow;
  step: NotifiedStep;
  at: Date;
  actor: StepActor;
  reason: string | null;
}): SubscriptionNotification {
  const { subscription, organisation } = input;
  return {
    type: `subscription.${input.step.toLowerCase()}` as SubscriptionNotification['type'],
    notificationId: input.eventId,
    provider: subscription.provider_id,
    occurredAt: input.at.toISOString(),
    subscription: {
      id: subscription.id,
      state: subscription.state,
      serviceId: subscription.service_id,
      planId: subscription.plan_id,
      schutzbedarf: subscription.schutzbedarf,
      organisation: {
        id: organisation.id,
        name: organisation.name,
        land: organisation.land,
        regionalschluessel: organisation.regionalschluessel,
      },
      requestedAt: subscription.requested_at.toISOString(),
    },
    step: {
      kind: input.step,
      at: input.at.toISOString(),
      by: { subject: input.actor.subject, organisation: input.actor.organisationId },
      reason: input.reason,
    },
  };
}
