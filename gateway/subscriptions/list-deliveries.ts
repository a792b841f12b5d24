import { sql, type Kysely } from 'kysely';
import type { Database } from '../database/database.ts';
import { decodeSequenceCursor, pageSize, type Page } from './page-cursor.ts';
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
  const size = pageSize(filter.first);
  const after = filter.after ? decodeSequenceCursor(filter.after) : null;
  const conditions = [sql`true`];
  if (filter.providerId !== null) conditions.push(sql`provider_id = ${filter.providerId}`);
  if (filter.state && filter.state.length > 0)
    conditions.push(sql`state = any(${[...filter.state]}::text[])`);
  const { rows } = await sql<SubscriptionOutboxRow & { total: number; found: boolean }>`
    with matching as (select * from subscription_outbox where ${sql.join(conditions, sql` and `)})
    select total.total, page.id is not null as found, page.*
    from (select count(*)::int as total from matching) total
    left join lateral (
      select * from matching
      where ${after === null ? sql`true` : sql`id < ${after}::bigint`}
      order by id desc
      limit ${size + 1}
    ) page on true`.execute(db);
  const found = rows.filter((r) => r.found);
  return {
    rows: found
      .slice(0, size)
      .map(({ total: _total, found: _found, ...row }) => row as SubscriptionOutboxRow),
    hasNextPage: found.length > size,
    hasPreviousPage: after !== null,
    totalCount: rows[0]?.total ?? 0,
  };
}
