import { sql, type Kysely } from 'kysely';
import type { SubscriptionScope } from '../auth/subscription-policy.ts';
import type { Database } from '../database/database.ts';
import { decodeSequenceCursor, pageSize, type Page } from './page-cursor.ts';
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
  const size = pageSize(filter.first);
  const after = filter.after ? decodeSequenceCursor(filter.after) : null;
  const conditions = [sql`true`];
  if (filter.scope.kind === 'provider') conditions.push(sql`provider_id = ${filter.scope.organisationId}`);
  if (filter.scope.kind === 'authority')
    conditions.push(sql`organisation_id = ${filter.scope.organisationId}`);
  if (filter.state && filter.state.length > 0)
    conditions.push(sql`state = any(${[...filter.state]}::text[])`);
  if (filter.serviceId) conditions.push(sql`service_id = ${filter.serviceId}`);
  const { rows } = await sql<ServiceSubscriptionRow & { total: number; found: boolean }>`
    with matching as (select * from service_subscription where ${sql.join(conditions, sql` and `)})
    select total.total, page.id is not null as found, page.*
    from (select count(*)::int as total from matching) total
    left join lateral (
      select * from matching
      where ${after === null ? sql`true` : sql`seq < ${after}::bigint`}
      order by seq desc
      limit ${size + 1}
    ) page on true`.execute(db);
  const found = rows.filter((r) => r.found);
  return {
    rows: found
      .slice(0, size)
      .map(({ total: _total, found: _found, ...row }) => row as ServiceSubscriptionRow),
    hasNextPage: found.length > size,
    hasPreviousPage: after !== null,
    totalCount: rows[0]?.total ?? 0,
  };
}
