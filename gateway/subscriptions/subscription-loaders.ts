import DataLoader from 'dataloader';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../database/database.ts';
import type { GatewayContext } from '../graphql/context.ts';
import type { ServiceSubscriptionEventRow, ServiceSubscriptionRow } from './subscription-tables.ts';

/** Per-request batching for subscription fields: each loader is one statement per request. */
export interface SubscriptionLoaders {
  subscription: DataLoader<string, ServiceSubscriptionRow | null>;
  events: DataLoader<string, ServiceSubscriptionEventRow[]>;
  subscriberCount: DataLoader<string, number>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `id` can be a subscription id at all (anything else is simply not found). */
export function isSubscriptionId(id: string): boolean {
  return UUID.test(id);
}

const perRequest = new WeakMap<GatewayContext, SubscriptionLoaders>();

/** The subscription loaders of this request, made on first use. */
export function subscriptionLoaders(context: GatewayContext): SubscriptionLoaders {
  let loaders = perRequest.get(context);
  if (!loaders) {
    loaders = createSubscriptionLoaders(context.db);
    perRequest.set(context, loaders);
  }
  return loaders;
}

function createSubscriptionLoaders(db: Kysely<Database>): SubscriptionLoaders {
  return {
    subscription: new DataLoader(async (ids) => {
      const valid = ids.filter(isSubscriptionId);
      const rows =
        valid.length === 0
          ? []
          : await db.selectFrom('service_subscription').selectAll().where('id', 'in', valid).execute();
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
    }),
    events: new DataLoader(async (ids) => {
      const rows = await db
        .selectFrom('service_subscription_event')
        .selectAll()
        .where('subscription_id', 'in', [...ids])
        .orderBy('id')
        .execute();
      return ids.map((id) => rows.filter((r) => r.subscription_id === id));
    }),
    subscriberCount: new DataLoader(async (serviceIds) => {
      // Re-use counts organisations, not subscriptions: two plans of one organisation count once.
      const { rows } = await sql<{ service_id: string; count: number }>`
        select service_id, count(distinct organisation_id)::int as count
        from service_subscription
        where state = 'ACTIVE' and service_id = any(${[...serviceIds]}::text[])
        group by service_id`.execute(db);
      const byId = new Map(rows.map((r) => [r.service_id, r.count]));
      return serviceIds.map((id) => byId.get(id) ?? 0);
    }),
  };
}
