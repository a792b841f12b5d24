import { UserError } from '../errors.ts';

/**
 * The stable `extensions.reason` values of refused subscription operations. PRECONDITION_FAILED: the
 * service or the subscription is not in a state that allows the step; CONFLICT: another subscription
 * or another request with the same idempotency key stands in the way.
 */
export type SubscriptionRefusal =
  | 'SERVICE_NOT_ACTIVE'
  | 'SERVICE_NOT_CERTIFIED'
  | 'PLAN_NOT_FOUND'
  | 'LAND_NOT_AVAILABLE'
  | 'SCHUTZBEDARF_NOT_SUPPORTED'
  | 'STEP_NOT_ALLOWED'
  | 'SUBSCRIPTION_ALREADY_OPEN'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'DELIVERY_NOT_DEAD'
  | 'NO_WEBHOOK';

/** A precondition of a subscription step does not hold; `reason` says which one. */
export function preconditionFailed(
  reason: SubscriptionRefusal,
  message: string,
  details: Record<string, unknown> = {},
): UserError {
  return new UserError('PRECONDITION_FAILED', message, { reason, ...details });
}

/** Another subscription or request stands in the way; `reason` says which. */
export function conflict(
  reason: SubscriptionRefusal,
  message: string,
  details: Record<string, unknown> = {},
): UserError {
  return new UserError('CONFLICT', message, { reason, ...details });
}
