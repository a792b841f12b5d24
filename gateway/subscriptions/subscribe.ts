import { sql, type Kysely, type Transaction } from 'kysely';
import type { Listing } from '../../catalog-schema/generated/listing.ts';
import type { Database } from '../database/database.ts';
import type { OrganisationRow, ServiceRow } from '../database/schema.ts';
import { UserError } from '../errors.ts';
import { certificationStatuses } from '../../certification/certification-status.ts';
import { recordStep } from './record-step.ts';
import { conflict, preconditionFailed } from './subscription-errors.ts';
import type { SchutzbedarfValue, ServiceSubscriptionRow } from './subscription-tables.ts';

export interface SubscribeInput {
  /** The authority organisation that subscribes: always the caller's own. */
  organisation: OrganisationRow;
  subject: string;
  serviceId: string;
  planId: string;
  idempotencyKey: string;
  /** The protection need the authority needs; the service must support at least this. */
  schutzbedarf: SchutzbedarfValue | null;
}

export interface SubscribeResult {
  subscription: ServiceSubscriptionRow;
  /** True when the idempotency key had been used for this very request before: nothing was written. */
  replayed: boolean;
}

const SCHUTZBEDARF_LEVEL: Record<SchutzbedarfValue, number> = { NORMAL: 1, HIGH: 2, VERY_HIGH: 3 };
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

/**
 * Requests a subscription of an authority to a service plan. The same idempotency key with the same
 * arguments returns the subscription it created; with other arguments it is CONFLICT. One open
 * subscription per organisation, service and plan is enforced by a partial unique index, so that
 * concurrent requests cannot both pass (see README.md).
 */
export async function subscribe(
  db: Kysely<Database>,
  input: SubscribeInput,
  options: { now?: Date } = {},
): Promise<SubscribeResult> {
  const now = options.now ?? new Date();
  if (!IDEMPOTENCY_KEY.test(input.idempotencyKey)) {
    throw new UserError(
      'BAD_USER_INPUT',
      'idempotencyKey must be 1 to 200 visible ASCII characters (no spaces), for example a UUID.',
      { argument: 'idempotencyKey' },
    );
  }
  return db.transaction().execute(async (trx) => {
    const earlier = await byIdempotencyKey(trx, input);
    if (earlier) return replay(earlier, input);

    // `for share` keeps the listing from being withdrawn or changed until this request commits.
    const service = await trx
      .selectFrom('service')
      .selectAll()
      .where('id', '=', input.serviceId)
      .forShare()
      .executeTakeFirst();
    if (!service) {
      throw new UserError('NOT_FOUND', `There is no service ${input.serviceId}.`, {
        serviceId: input.serviceId,
      });
    }
    const certification = await checkPreconditions(trx, service, input, now);

    const inserted = await trx
      .insertInto('service_subscription')
      .values({
        organisation_id: input.organisation.id,
        service_id: service.id,
        provider_id: service.provider_id,
        plan_id: input.planId,
        schutzbedarf: input.schutzbedarf,
        idempotency_key: input.idempotencyKey,
        state: 'REQUESTED',
        requested_at: sql<Date>`now()`,
        requested_by: input.subject,
        certification_status: certification,
      })
      // Any unique violation (the same key, or an open subscription) inserts nothing; the lookups
      // below tell which. PostgreSQL waits here for a concurrent insert of the same key or the same
      // open subscription to commit or roll back, so the lookups see its outcome.
      .onConflict((oc) => oc.doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted) {
      await recordStep(trx, {
        subscription: inserted,
        step: 'REQUESTED',
        actor: { subject: input.subject, organisationId: input.organisation.id },
        reason: null,
        at: inserted.requested_at,
      });
      return { subscription: inserted, replayed: false };
    }

    const concurrent = await byIdempotencyKey(trx, input);
    if (concurrent) return replay(concurrent, input);
    const open = await trx
      .selectFrom('service_subscription')
      .select(['id', 'state'])
      .where('organisation_id', '=', input.organisation.id)
      .where('service_id', '=', service.id)
      .where('plan_id', '=', input.planId)
      .where('state', 'in', ['REQUESTED', 'ACTIVE'])
      .executeTakeFirst();
    throw conflict(
      'SUBSCRIPTION_ALREADY_OPEN',
      open
        ? `${input.organisation.id} already has a ${open.state} subscription ${open.id} to plan ${input.planId} of ${service.id}; cancel it before subscribing again.`
        : `${input.organisation.id} already has an open subscription to plan ${input.planId} of ${service.id}.`,
      { subscriptionId: open?.id ?? null },
    );
  });
}

async function byIdempotencyKey(
  trx: Transaction<Database>,
  input: SubscribeInput,
): Promise<ServiceSubscriptionRow | undefined> {
  return trx
    .selectFrom('service_subscription')
    .selectAll()
    .where('organisation_id', '=', input.organisation.id)
    .where('idempotency_key', '=', input.idempotencyKey)
    .executeTakeFirst();
}

function replay(earlier: ServiceSubscriptionRow, input: SubscribeInput): SubscribeResult {
  const same =
    earlier.service_id === input.serviceId &&
    earlier.plan_id === input.planId &&
    earlier.schutzbedarf === input.schutzbedarf;
  if (!same) {
    throw conflict(
      'IDEMPOTENCY_KEY_REUSED',
      `The idempotency key was already used by ${input.organisation.id} to subscribe to plan ${earlier.plan_id} of ${earlier.service_id}${earlier.schutzbedarf ? ` (Schutzbedarf ${earlier.schutzbedarf})` : ''}; use a new key for a different request.`,
      { subscriptionId: earlier.id },
    );
  }
  return { subscription: earlier, replayed: true };
}

/** Each precondition its own reason, checked in this order; returns the certification status seen. */
async function checkPreconditions(
  trx: Transaction<Database>,
  service: ServiceRow,
  input: SubscribeInput,
  now: Date,
): Promise<string> {
  if (service.status !== 'ACTIVE') {
    throw preconditionFailed(
      'SERVICE_NOT_ACTIVE',
      `Service ${service.id} is ${service.status}; only active services can be subscribed to.`,
      { serviceId: service.id, serviceStatus: service.status },
    );
  }
  const status = (await certificationStatuses(trx, [service.id], now)).get(service.id) ?? 'UNCERTIFIED';
  if (status !== 'CERTIFIED') {
    throw preconditionFailed(
      'SERVICE_NOT_CERTIFIED',
      `Service ${service.id} is not currently certified (${status}); only certified services can be subscribed to.`,
      { serviceId: service.id, certificationStatus: status },
    );
  }
  checkFit(service, input);
  return status;
}

/**
 * What the service must offer the subscription, beyond being active and certified: its plan, the
 * authority's Land, and at least its Schutzbedarf. Checked when subscribing and again when the
 * provider accepts, because the listing may have changed in between (`subscriptionId` then).
 */
export function checkFit(
  service: ServiceRow,
  request: {
    organisation: Pick<OrganisationRow, 'id' | 'land'>;
    planId: string;
    schutzbedarf: SchutzbedarfValue | null;
  },
  subscriptionId?: string,
): void {
  const about = subscriptionId === undefined ? {} : { subscriptionId };
  const plans = (service.document as Listing).plans;
  if (!plans.some((plan) => plan.id === request.planId)) {
    throw preconditionFailed(
      'PLAN_NOT_FOUND',
      `Service ${service.id} has no plan "${request.planId}"; its plans are ${plans.map((p) => p.id).join(', ')}.`,
      { ...about, serviceId: service.id, planId: request.planId, plans: plans.map((p) => p.id) },
    );
  }
  const land = request.organisation.land;
  if (land === null || !service.available_in.includes(land)) {
    throw preconditionFailed(
      'LAND_NOT_AVAILABLE',
      land === null
        ? `${request.organisation.id} has no Land registered; a coordinator registers it before it can subscribe.`
        : `Service ${service.id} is not available in ${land} (available in ${service.available_in.join(', ')}).`,
      { ...about, serviceId: service.id, land, availableIn: service.available_in },
    );
  }
  if (
    request.schutzbedarf !== null &&
    service.schutzbedarf_level < SCHUTZBEDARF_LEVEL[request.schutzbedarf]
  ) {
    throw preconditionFailed(
      'SCHUTZBEDARF_NOT_SUPPORTED',
      `Service ${service.id} is operated for Schutzbedarf ${service.schutzbedarf}, not ${request.schutzbedarf}.`,
      { ...about, serviceId: service.id, required: request.schutzbedarf, supported: service.schutzbedarf },
    );
  }
}
