import { sql, type Kysely } from 'kysely';
import type { Database } from '../database/database.ts';
import { UserError } from '../errors.ts';
import { certificationStatuses } from '../../certification/certification-status.ts';
import { recordStep } from './record-step.ts';
import type { StepActor } from './step-actor.ts';
import { checkFit } from './subscribe.ts';
import { preconditionFailed } from './subscription-errors.ts';
import { isLegalStep, LIFECYCLE, type LifecycleStep } from './subscription-lifecycle.ts';
import type { ServiceSubscriptionRow } from './subscription-tables.ts';

const PAST: Record<LifecycleStep, 'ACCEPTED' | 'REJECTED' | 'CANCELLED'> = {
  ACCEPT: 'ACCEPTED',
  REJECT: 'REJECTED',
  CANCEL: 'CANCELLED',
};

/**
 * Moves a subscription on by one step (who may take it is decided before, in auth/subscription-policy.ts).
 * The subscription row is locked for the transaction: of two concurrent decisions on the same
 * subscription, the second sees the first's outcome and is refused as an illegal step. Accepting also
 * needs the service to be active and currently certified, and to fit the subscription as when it was
 * requested (plan, Land, Schutzbedarf), read after the lock (see README.md).
 */
export async function takeStep(
  db: Kysely<Database>,
  input: { subscriptionId: string; step: LifecycleStep; actor: StepActor; reason: string | null },
  /** `now` decides whether the certificate is valid; the step itself is stamped with the database's clock. */
  options: { now?: Date } = {},
): Promise<ServiceSubscriptionRow> {
  const now = options.now ?? new Date();
  return db.transaction().execute(async (trx) => {
    const current = await trx
      .selectFrom('service_subscription')
      .selectAll()
      .where('id', '=', input.subscriptionId)
      .forUpdate()
      .executeTakeFirst();
    if (!current) {
      throw new UserError('NOT_FOUND', `There is no subscription ${input.subscriptionId}.`, {
        subscriptionId: input.subscriptionId,
      });
    }
    if (!isLegalStep(current.state, input.step)) {
      throw preconditionFailed(
        'STEP_NOT_ALLOWED',
        `Subscription ${current.id} is ${current.state}; ${input.step.toLowerCase()} is only possible from ${LIFECYCLE[input.step].from.join(' or ')}.`,
        { subscriptionId: current.id, state: current.state, step: input.step },
      );
    }
    if (input.step === 'ACCEPT') {
      const service = await trx
        .selectFrom('service')
        .selectAll()
        .where('id', '=', current.service_id)
        .executeTakeFirstOrThrow();
      if (service.status !== 'ACTIVE') {
        throw preconditionFailed(
          'SERVICE_NOT_ACTIVE',
          `Service ${service.id} is ${service.status}; a subscription to it cannot be accepted.`,
          { subscriptionId: current.id, serviceId: service.id, serviceStatus: service.status },
        );
      }
      const status = (await certificationStatuses(trx, [service.id], now)).get(service.id) ?? 'UNCERTIFIED';
      if (status !== 'CERTIFIED') {
        throw preconditionFailed(
          'SERVICE_NOT_CERTIFIED',
          `Service ${service.id} is not currently certified (${status}); the subscription can be accepted once it is certified again.`,
          { subscriptionId: current.id, serviceId: service.id, certificationStatus: status },
        );
      }
      // The listing may have changed since the request: its plans, Länder and Schutzbedarf still
      // have to fit, as when subscribing.
      const organisation = await trx
        .selectFrom('organisation')
        .select(['id', 'land'])
        .where('id', '=', current.organisation_id)
        .executeTakeFirstOrThrow();
      checkFit(
        service,
        { organisation, planId: current.plan_id, schutzbedarf: current.schutzbedarf },
        current.id,
      );
    }

    // The step's time is read now that the subscription is locked (clock_timestamp(), once for every
    // column), not at the start of the transaction (now()): a transaction that waited for the lock must
    // not date its step before the step it waited for, or the history would show them in an order in
    // which they could not have happened.
    const at = sql<Date>`stamp.at`;
    const by = input.actor.subject;
    const updated = await trx
      .updateTable('service_subscription')
      .from(sql<{ at: Date }>`(select clock_timestamp() as at)`.as('stamp'))
      .set({
        state: LIFECYCLE[input.step].to,
        updated_at: at,
        ...(input.step === 'ACCEPT' ? { accepted_at: at, accepted_by: by } : {}),
        ...(input.step === 'REJECT'
          ? { rejected_at: at, rejected_by: by, rejection_reason: input.reason }
          : {}),
        ...(input.step === 'CANCEL'
          ? {
              cancelled_at: at,
              cancelled_by: by,
              cancelled_by_organisation_id: input.actor.organisationId,
              cancellation_reason: input.reason,
            }
          : {}),
      })
      .where('service_subscription.id', '=', current.id)
      .returningAll('service_subscription')
      .executeTakeFirstOrThrow();
    await recordStep(trx, {
      subscription: updated,
      step: PAST[input.step],
      actor: input.actor,
      reason: input.reason,
      at: updated.updated_at,
    });
    return updated;
  });
}
