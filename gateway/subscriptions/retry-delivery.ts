import type { Kysely } from 'kysely';
import type { Database } from '../database/database.ts';
import { UserError } from '../errors.ts';
import { preconditionFailed } from './subscription-errors.ts';
import type { SubscriptionOutboxRow } from './subscription-tables.ts';

/**
 * Sends a DEAD or SKIPPED delivery again (given up, or due while the provider had no webhook):
 * PENDING, due now, attempts counted anew, its retry period starting now (deliver-due.ts reads
 * `retried_at`). `providerId` limits it to that provider's deliveries (a provider acting for itself);
 * null is a coordinator. One statement when it applies; a refusal reads the row to say why
 * (NOT_FOUND for a delivery the caller cannot see, PRECONDITION_FAILED when it is PENDING or
 * DELIVERED, or NO_WEBHOOK while its provider has no webhook: it would only be skipped).
 */
export async function retryDelivery(
  db: Kysely<Database>,
  input: { id: string; providerId: string | null; subject: string },
): Promise<SubscriptionOutboxRow> {
  const notFound = () =>
    new UserError('NOT_FOUND', `There is no subscription delivery ${input.id} that you can see.`, {
      deliveryId: input.id,
    });
  if (!/^[1-9][0-9]{0,17}$/.test(input.id)) throw notFound();
  let update = db
    .updateTable('subscription_outbox')
    .set((eb) => ({
      state: 'PENDING',
      attempts: 0,
      next_attempt_at: eb.fn('now'),
      finished_at: null,
      retried_at: eb.fn('now'),
      retried_by: input.subject,
    }))
    .where('id', '=', input.id)
    .where('state', 'in', ['DEAD', 'SKIPPED'])
    // Only while its provider has a webhook: sent now, it would only be skipped.
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('provider_webhook')
          .select('provider_webhook.provider_id')
          .whereRef('provider_webhook.provider_id', '=', 'subscription_outbox.provider_id'),
      ),
    );
  if (input.providerId !== null) update = update.where('provider_id', '=', input.providerId);
  const retried = await update.returningAll().executeTakeFirst();
  if (retried) return retried;

  let lookup = db
    .selectFrom('subscription_outbox')
    .select(['state', 'provider_id'])
    .where('id', '=', input.id);
  if (input.providerId !== null) lookup = lookup.where('provider_id', '=', input.providerId);
  const current = await lookup.executeTakeFirst();
  if (!current) throw notFound();
  if (current.state === 'SKIPPED' || current.state === 'DEAD') {
    throw preconditionFailed(
      'NO_WEBHOOK',
      `Subscription delivery ${input.id} is ${current.state}, and provider ${current.provider_id} has no webhook to send it to; set one with setSubscriptionWebhook, then send it again.`,
      { deliveryId: input.id, state: current.state, providerId: current.provider_id },
    );
  }
  throw preconditionFailed(
    'DELIVERY_NOT_DEAD',
    `Subscription delivery ${input.id} is ${current.state}; only a DEAD or SKIPPED delivery is sent again (a PENDING one is still being retried).`,
    { deliveryId: input.id, state: current.state },
  );
}
