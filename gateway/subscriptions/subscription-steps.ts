import type { ServiceSubscriptionRow } from './subscription-tables.ts';

/** One step of a subscription as it is shown: when, by whom, for which organisation, why. */
export interface SubscriptionStepRecord {
  at: Date;
  by: string;
  organisationId: string;
  reason: string | null;
}

/** The steps a subscription went through, read from its row. */
export function subscriptionSteps(row: ServiceSubscriptionRow): {
  requested: SubscriptionStepRecord;
  accepted: SubscriptionStepRecord | null;
  rejected: SubscriptionStepRecord | null;
  cancelled: SubscriptionStepRecord | null;
} {
  return {
    requested: {
      at: row.requested_at,
      by: row.requested_by,
      organisationId: row.organisation_id,
      reason: null,
    },
    accepted:
      row.accepted_at && row.accepted_by
        ? { at: row.accepted_at, by: row.accepted_by, organisationId: row.provider_id, reason: null }
        : null,
    rejected:
      row.rejected_at && row.rejected_by
        ? {
            at: row.rejected_at,
            by: row.rejected_by,
            organisationId: row.provider_id,
            reason: row.rejection_reason,
          }
        : null,
    cancelled:
      row.cancelled_at && row.cancelled_by && row.cancelled_by_organisation_id
        ? {
            at: row.cancelled_at,
            by: row.cancelled_by,
            organisationId: row.cancelled_by_organisation_id,
            reason: row.cancellation_reason,
          }
        : null,
  };
}
