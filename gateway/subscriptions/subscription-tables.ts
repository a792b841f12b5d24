import type { ColumnType, Generated, Selectable } from 'kysely';

/** The tables the subscriptions module owns (migration 2026-11-25T2200-subscriptions). */
export interface SubscriptionTables {
  service_subscription: ServiceSubscriptionTable;
  service_subscription_event: ServiceSubscriptionEventTable;
  subscription_outbox: SubscriptionOutboxTable;
  provider_webhook: ProviderWebhookTable;
}

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export type SubscriptionState = 'REQUESTED' | 'ACTIVE' | 'REJECTED' | 'CANCELLED';
export type SchutzbedarfValue = 'NORMAL' | 'HIGH' | 'VERY_HIGH';

export interface ServiceSubscriptionTable {
  id: Generated<string>;
  seq: ColumnType<string | number, never, never>;
  organisation_id: string;
  service_id: string;
  provider_id: string;
  plan_id: string;
  schutzbedarf: SchutzbedarfValue | null;
  idempotency_key: string;
  state: SubscriptionState;
  requested_at: Timestamp;
  requested_by: string;
  accepted_at: NullableTimestamp;
  accepted_by: string | null;
  rejected_at: NullableTimestamp;
  rejected_by: string | null;
  rejection_reason: string | null;
  cancelled_at: NullableTimestamp;
  cancelled_by: string | null;
  cancelled_by_organisation_id: string | null;
  cancellation_reason: string | null;
  updated_at: Timestamp;
  /** The certification status (or WITHDRAWN) the holder was last told about. */
  certification_status: string;
  certification_status_at: Timestamp;
}

/** The four lifecycle steps and the notices a certification or listing change leaves on a subscription. */
export type SubscriptionEventKind =
  | 'REQUESTED'
  | 'ACCEPTED'
  | 'REJECTED'
  | 'CANCELLED'
  | 'CERTIFICATE_EXPIRED'
  | 'CERTIFICATE_REVOKED'
  | 'RECERTIFICATION_REQUIRED'
  | 'CERTIFICATION_LOST'
  | 'CERTIFICATION_RESTORED'
  | 'SERVICE_WITHDRAWN';

export interface ServiceSubscriptionEventTable {
  id: ColumnType<string | number, never, never>;
  subscription_id: string;
  kind: SubscriptionEventKind;
  occurred_at: Timestamp;
  actor_subject: string | null;
  actor_organisation_id: string | null;
  reason: string | null;
  details: ColumnType<unknown, string | null, string | null>;
}

export type OutboxState = 'PENDING' | 'DELIVERED' | 'SKIPPED' | 'DEAD';

export interface SubscriptionOutboxTable {
  id: ColumnType<string | number, never, never>;
  event_id: string | number;
  subscription_id: string;
  provider_id: string;
  payload: ColumnType<unknown, string, never>;
  state: ColumnType<OutboxState, OutboxState | undefined, OutboxState>;
  attempts: ColumnType<number, number | undefined, number>;
  created_at: Timestamp;
  next_attempt_at: Timestamp;
  lease_owner: string | null;
  lease_until: NullableTimestamp;
  last_attempt_at: NullableTimestamp;
  last_error: string | null;
  last_status: number | null;
  target_url: string | null;
  finished_at: NullableTimestamp;
  /** When a DEAD or SKIPPED delivery was sent again (retrySubscriptionDelivery); its retry period counts from here. */
  retried_at: NullableTimestamp;
  retried_by: string | null;
}

export interface ProviderWebhookTable {
  provider_id: string;
  url: string;
  updated_at: Timestamp;
  updated_by: string;
}

export type ServiceSubscriptionRow = Selectable<ServiceSubscriptionTable>;
export type ServiceSubscriptionEventRow = Selectable<ServiceSubscriptionEventTable>;
export type SubscriptionOutboxRow = Selectable<SubscriptionOutboxTable>;
