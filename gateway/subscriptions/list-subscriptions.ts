import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { SubscriptionScope } from '../auth/subscription-policy.ts';
import type { Database } from '../database/database.ts';
import type { Page } from './page-cursor.ts';
import { sequencePage } from './sequence-page.ts';
import type { ServiceSubscriptionRow, SubscriptionState } from './subscription-tables.ts';

export interface SubscriptionFilter {
  scope: SubscriptionScope;
  state?: readonly SubscriptionState[] | null;
  serviceId?: string | null;
  first?: number | null;
  after?: string | null;
}

/**
 * The subscriptions a scope may see, newest first, with the total: one statement. The scope's
 * condition is part of the query, never a filter applied after reading.
 */
export async function listSubscriptions(
  db: Kysely<Database>,
  filter: SubscriptionFilter,
): Promise<Page<ServiceSubscriptionRow>> {
  const conditions: RawBuilder<unknown>[] = [];
  if (filter.scope.kind === 'provider') conditions.push(sql`provider_id = ${filter.scope.organisationId}`);
  if (filter.scope.kind === 'authority')
    conditions.push(sql`organisation_id = ${filter.scope.organisationId}`);
  if (filter.state && filter.state.length > 0)
    conditions.push(sql`state = any(${[...filter.state]}::text[])`);
  if (filter.serviceId) conditions.push(sql`service_id = ${filter.serviceId}`);
  return sequencePage<ServiceSubscriptionRow>(db, {
    table: 'service_subscription',
    sequence: 'seq',
    conditions,
    first: filter.first,
    after: filter.after,
  });
}
