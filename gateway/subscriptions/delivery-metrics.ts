import { sql, type Kysely } from 'kysely';
import { Gauge, type Registry } from 'prom-client';
import type { Database } from '../database/database.ts';
import { readOncePerScrape } from '../http/metrics.ts';

/**
 * Publishes the state of the notification outbox in /metrics, read from the database when scraped
 * (every replica reports the same shared numbers): deliveries waiting and dead, and how long the oldest
 * due delivery has waited, the number to alert on when webhooks stop being delivered.
 */
export function registerDeliveryMetrics(registry: Registry, db: Kysely<Database>): void {
  const read = readOncePerScrape('subscription delivery', async () => {
    const { rows } = await sql<{ pending: number; dead: number; lag_seconds: number }>`
      select count(*) filter (where state = 'PENDING')::int as pending,
             count(*) filter (where state = 'DEAD')::int as dead,
             coalesce(extract(epoch from now() - min(next_attempt_at) filter (
               where state = 'PENDING' and next_attempt_at <= now())), 0)::float8 as lag_seconds
      from subscription_outbox
      where state in ('PENDING', 'DEAD')`.execute(db);
    return { pending: rows[0]!.pending, dead: rows[0]!.dead, lagSeconds: rows[0]!.lag_seconds };
  });
  new Gauge({
    name: 'catalogue_subscription_deliveries',
    help: 'Subscription notifications by delivery state: pending (not yet delivered, retried with backoff) and dead (given up after the retry period; coordinators see them).',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const state = await read();
      if (!state) return;
      this.set({ state: 'pending' }, state.pending);
      this.set({ state: 'dead' }, state.dead);
    },
  });
  new Gauge({
    name: 'catalogue_subscription_delivery_lag_seconds',
    help: 'How long the oldest due, undelivered subscription notification has waited (0: none is due).',
    registers: [registry],
    async collect() {
      const state = await read();
      if (state) this.set(state.lagSeconds);
    },
  });
}
