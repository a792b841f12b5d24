import type { Listing } from '../../../catalog-schema/generated/listing.ts';
import { characterCount } from '../../../catalog-schema/storable-text.ts';
import {
  canSee,
  requireDeliveryReader,
  requireSubscriber,
  requireSubscriptionCanceller,
  requireSubscriptionDecider,
  requireSubscriptionReader,
  requireWebhookOwner,
} from '../../auth/subscription-policy.ts';
import { UserError } from '../../errors.ts';
import { retryDelivery } from '../../subscriptions/retry-delivery.ts';
import { listDeliveries } from '../../subscriptions/list-deliveries.ts';
import { listSubscriptions } from '../../subscriptions/list-subscriptions.ts';
import { encodeSequenceCursor, type Page, type SequenceList } from '../../subscriptions/page-cursor.ts';
import {
  providerWebhook,
  setProviderWebhook,
  validateWebhookUrl,
} from '../../subscriptions/provider-webhook.ts';
import { subscribe } from '../../subscriptions/subscribe.ts';
import { subscriptionLoaders } from '../../subscriptions/subscription-loaders.ts';
import { subscriptionSteps } from '../../subscriptions/subscription-steps.ts';
import type { LifecycleStep } from '../../subscriptions/subscription-lifecycle.ts';
import type { ServiceSubscriptionRow } from '../../subscriptions/subscription-tables.ts';
import { takeStep } from '../../subscriptions/take-step.ts';
import type { GatewayContext } from '../context.ts';
import type { Resolvers } from '../generated/resolvers-types.ts';

/** A reason a person reads: 3 to 2000 characters (code points, as PostgreSQL counts) once trimmed. */
function reasonArgument(reason: string): string {
  const trimmed = reason.trim();
  const characters = characterCount(trimmed);
  if (characters < 3 || characters > 2000) {
    throw new UserError('BAD_USER_INPUT', 'The reason must be 3 to 2000 characters long.', {
      argument: 'reason',
    });
  }
  return trimmed;
}

function connection<T extends { seq?: unknown; id: unknown }>(
  page: Page<T>,
  list: SequenceList,
  key: (row: T) => string | number,
) {
  const cursor = (row: T) => encodeSequenceCursor(list, key(row));
  return {
    edges: page.rows.map((node) => ({ cursor: cursor(node), node })),
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: page.hasPreviousPage,
      startCursor: page.rows[0] ? cursor(page.rows[0]) : null,
      endCursor: page.rows.at(-1) ? cursor(page.rows.at(-1)!) : null,
    },
    totalCount: page.totalCount,
  };
}

function remember(context: GatewayContext, row: ServiceSubscriptionRow): ServiceSubscriptionRow {
  subscriptionLoaders(context).subscription.clear(row.id).prime(row.id, row);
  return row;
}

async function step(
  context: GatewayContext,
  id: string,
  lifecycleStep: LifecycleStep,
  reason: string | null,
): Promise<ServiceSubscriptionRow> {
  const current = await subscriptionLoaders(context).subscription.load(id);
  const actor =
    lifecycleStep === 'CANCEL'
      ? await requireSubscriptionCanceller(context, current, id)
      : await requireSubscriptionDecider(
          context,
          current,
          id,
          lifecycleStep === 'ACCEPT' ? 'acceptSubscription' : 'rejectSubscription',
        );
  // The reason is checked once the caller may take the step: an anonymous caller learns nothing else.
  const updated = await takeStep(context.db, {
    subscriptionId: current!.id,
    step: lifecycleStep,
    actor: { subject: actor.principal.subject, organisationId: actor.organisation.id },
    reason: reason === null ? null : reasonArgument(reason),
  });
  return remember(context, updated);
}

async function organisationOf(context: GatewayContext, id: string) {
  const organisation = await context.loaders.organisation.load(id);
  if (!organisation) throw new Error(`organisation ${id} is referenced but missing`);
  return organisation;
}

export const subscriptionResolvers: Resolvers = {
  Query: {
    serviceSubscriptions: async (_parent, args, context) => {
      const { scope } = await requireSubscriptionReader(context, 'serviceSubscriptions');
      const page = await listSubscriptions(context.db, {
        scope,
        state: args.state,
        serviceId: args.serviceId,
        first: args.first,
        after: args.after,
      });
      for (const row of page.rows) subscriptionLoaders(context).subscription.prime(row.id, row);
      return page;
    },
    serviceSubscription: async (_parent, { id }, context) => {
      const { scope } = await requireSubscriptionReader(context, 'serviceSubscription');
      const row = await subscriptionLoaders(context).subscription.load(id);
      return row && canSee(scope, row) ? row : null;
    },
    subscriptionDeliveries: async (_parent, args, context) => {
      const { providerId } = await requireDeliveryReader(context, args.providerId ?? null);
      return listDeliveries(context.db, {
        providerId,
        state: args.state,
        first: args.first,
        after: args.after,
      });
    },
    subscriptionWebhook: async (_parent, _args, context) => {
      const actor = await requireWebhookOwner(context, 'subscriptionWebhook');
      return providerWebhook(context.db, actor.organisation.id);
    },
  },

  Mutation: {
    subscribe: async (_parent, args, context) => {
      const actor = await requireSubscriber(context);
      const { subscription } = await subscribe(context.db, {
        organisation: actor.organisation,
        subject: actor.principal.subject,
        serviceId: args.serviceId,
        planId: args.planId,
        idempotencyKey: args.idempotencyKey,
        schutzbedarf: args.schutzbedarf ?? null,
      });
      return remember(context, subscription);
    },
    acceptSubscription: (_parent, { id }, context) => step(context, id, 'ACCEPT', null),
    rejectSubscription: (_parent, { id, reason }, context) => step(context, id, 'REJECT', reason),
    cancelSubscription: (_parent, { id, reason }, context) => step(context, id, 'CANCEL', reason),
    retrySubscriptionDelivery: async (_parent, { id }, context) => {
      const { actor, providerId } = await requireDeliveryReader(context, null, 'retrySubscriptionDelivery');
      return retryDelivery(context.db, { id, providerId, subject: actor.principal.subject });
    },
    setSubscriptionWebhook: async (_parent, { url }, context) => {
      const actor = await requireWebhookOwner(context, 'setSubscriptionWebhook');
      const valid = url == null ? null : validateWebhookUrl(url, context.webhookUrlRules).href;
      return setProviderWebhook(context.db, {
        providerId: actor.organisation.id,
        url: valid,
        subject: actor.principal.subject,
      });
    },
  },

  Service: {
    subscriberCount: (service, _args, context) =>
      subscriptionLoaders(context).subscriberCount.load(service.id),
  },

  ServiceSubscriptionConnection: {
    edges: (page) => connection(page, 'service_subscription', (row) => row.seq).edges,
    pageInfo: (page) => connection(page, 'service_subscription', (row) => row.seq).pageInfo,
    totalCount: (page) => page.totalCount,
  },

  SubscriptionDeliveryConnection: {
    edges: (page) => connection(page, 'subscription_outbox', (row) => row.id).edges,
    pageInfo: (page) => connection(page, 'subscription_outbox', (row) => row.id).pageInfo,
    totalCount: (page) => page.totalCount,
  },

  ServiceSubscription: {
    service: async (row, _args, context) => {
      const service = await context.loaders.service.load(row.service_id);
      if (!service) throw new Error(`subscription ${row.id} refers to a missing service`);
      return service;
    },
    plan: async (row, _args, context) => {
      const service = await context.loaders.service.load(row.service_id);
      return (
        (service?.document as Listing | undefined)?.plans.find((plan) => plan.id === row.plan_id) ?? null
      );
    },
    planId: (row) => row.plan_id,
    organisation: (row, _args, context) => organisationOf(context, row.organisation_id),
    idempotencyKey: async (row, _args, context) => {
      // The key is the subscriber's own; the provider has no use for it.
      const { scope } = await requireSubscriptionReader(context, 'idempotencyKey');
      return scope.kind === 'provider' ? null : row.idempotency_key;
    },
    requested: (row) => subscriptionSteps(row).requested,
    accepted: (row) => subscriptionSteps(row).accepted,
    rejected: (row) => subscriptionSteps(row).rejected,
    cancelled: (row) => subscriptionSteps(row).cancelled,
    certificationStatus: (row) => row.certification_status,
    events: (row, _args, context) => subscriptionLoaders(context).events.load(row.id),
  },

  SubscriptionStep: {
    organisation: (record, _args, context) => organisationOf(context, record.organisationId),
  },

  ServiceSubscriptionEvent: {
    at: (event) => event.occurred_at,
    by: (event) => event.actor_subject,
    organisation: (event, _args, context) =>
      event.actor_organisation_id ? organisationOf(context, event.actor_organisation_id) : null,
    previousStatus: (event) => (event.details as { previousStatus?: string } | null)?.previousStatus ?? null,
    status: (event) => (event.details as { status?: string } | null)?.status ?? null,
  },

  SubscriptionDelivery: {
    id: (row) => String(row.id),
    provider: (row, _args, context) => organisationOf(context, row.provider_id),
    subscription: async (row, _args, context) => {
      const subscription = await subscriptionLoaders(context).subscription.load(row.subscription_id);
      if (!subscription) throw new Error(`delivery ${row.id} refers to a missing subscription`);
      return subscription;
    },
    type: (row) => (row.payload as { type: string }).type,
    createdAt: (row) => row.created_at,
    nextAttemptAt: (row) => (row.state === 'PENDING' ? row.next_attempt_at : null),
    lastAttemptAt: (row) => row.last_attempt_at,
    lastStatus: (row) => row.last_status,
    lastError: (row) => row.last_error,
    targetUrl: (row) => row.target_url,
    finishedAt: (row) => row.finished_at,
    retriedAt: (row) => row.retried_at,
    retriedBy: (row) => row.retried_by,
    payload: (row) => row.payload,
  },

  SubscriptionWebhook: {
    updatedAt: (row) => row.updated_at,
    updatedBy: (row) => row.updated_by,
  },
};
