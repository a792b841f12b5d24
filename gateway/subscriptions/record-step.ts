import type { Transaction } from 'kysely';
import type { Database } from '../database/database.ts';
import { notificationPayload, type NotifiedStep } from './notification-payload.ts';
import type { StepActor } from './step-actor.ts';
import type { ServiceSubscriptionRow } from './subscription-tables.ts';

/**
 * Records a committed-together lifecycle step: the step in the subscription's history and the outbox
 * row that tells the provider. Runs inside the step's transaction, so the step, its history and its
 * notification exist together or not at all; the delivery worker sends the outbox row later.
 */
export async function recordStep(
  trx: Transaction<Database>,
  input: {
    subscription: ServiceSubscriptionRow;
    step: NotifiedStep;
    actor: StepActor;
    reason: string | null;
    at: Date;
  },
): Promise<void> {
  const { subscription } = input;
  const event = await trx
    .insertInto('service_subscription_event')
    .values({
      subscription_id: subscription.id,
      kind: input.step,
      occurred_at: input.at,
      actor_subject: input.actor.subject,
      actor_organisation_id: input.actor.organisationId,
      reason: input.reason,
      details: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const organisation = await trx
    .selectFrom('organisation')
    .selectAll()
    .where('id', '=', subscription.organisation_id)
    .executeTakeFirstOrThrow();
  const payload = notificationPayload({
    eventId: String(event.id),
    subscription,
    organisation,
    step: input.step,
    at: input.at,
    actor: input.actor,
    reason: input.reason,
  });
  await trx
    .insertInto('subscription_outbox')
    .values({
      event_id: event.id,
      subscription_id: subscription.id,
      provider_id: subscription.provider_id,
      payload: JSON.stringify(payload),
      next_attempt_at: input.at,
    })
    .execute();
}
