import type { SubscriptionState } from './subscription-tables.ts';

/** A step that moves an existing subscription on; requesting is `subscribe`. */
export type LifecycleStep = 'ACCEPT' | 'REJECT' | 'CANCEL';

/**
 * The legal steps: REQUESTED → ACTIVE (the provider accepts) or REJECTED (the provider rejects);
 * REQUESTED or ACTIVE → CANCELLED (the authority or a coordinator). REJECTED and CANCELLED are final.
 */
export const LIFECYCLE: Record<LifecycleStep, { from: readonly SubscriptionState[]; to: SubscriptionState }> =
  {
    ACCEPT: { from: ['REQUESTED'], to: 'ACTIVE' },
    REJECT: { from: ['REQUESTED'], to: 'REJECTED' },
    CANCEL: { from: ['REQUESTED', 'ACTIVE'], to: 'CANCELLED' },
  };

/** The states a subscription counts as open in: at most one per organisation, service and plan. */
export const OPEN_STATES: readonly SubscriptionState[] = ['REQUESTED', 'ACTIVE'];

/** Whether `step` may be taken from `state`. */
export function isLegalStep(state: SubscriptionState, step: LifecycleStep): boolean {
  return LIFECYCLE[step].from.includes(state);
}
