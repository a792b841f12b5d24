import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../database/database.ts';
import type { Page } from './page-cursor.ts';
import { sequencePage } from './sequence-page.ts';
import type { OutboxState, SubscriptionOutboxRow } from './subscription-tables.ts';

export interface DeliveryFilter {
  /** Only this provider's deliveries; null for all (coordinators). */
  providerId: string | null;
  state?: readonly OutboxState[] | null;
  first?: number | null;
  after?: string | null;
}

/** Outbox rows, newest first, with the total: one statement. */
export async function listDeliveries(
  db: Kysely<Database>,
  filter: DeliveryFilter,
): Promise<Page<SubscriptionOutboxRow>> {
  const conditions: RawBuilder<unknown>[] = [];
  if (filter.providerId !== null) conditions.push(sql`provider_id = ${filter.providerId}`);
  if (filter.state && filter.state.length > 0)
    conditions.push(sql`state = any(${[...filter.state]}::text[])`);
  return sequencePage<SubscriptionOutboxRow>(db, {
    table: 'subscription_outbox',
    sequence: 'id',
    conditions,
    first: filter.first,
    after: filter.after,
  });
}
