import type { Kysely } from 'kysely';
import { Gauge, type Registry } from 'prom-client';
import type { Database } from '../database/database.ts';
import { readOncePerScrape } from '../http/metrics.ts';

interface EndpointState {
  provider_id: string;
  last_harvested_at: Date | null;
  consecutive_failures: number;
  circuit_open_until: Date | null;
}

/**
 * Publishes each registered provider endpoint's harvest state in /metrics, read from the database when
 * scraped: failures in a row, whether its circuit is open, and when it was last harvested. Alert on a
 * growing failure count or an old last harvest; the harvest reports in GraphQL say why.
 */
export function registerHarvestMetrics(registry: Registry, db: Kysely<Database>): void {
  const read = readOncePerScrape('harvest', (): Promise<EndpointState[]> =>
    db
      .selectFrom('harvest_endpoint')
      .select(['provider_id', 'last_harvested_at', 'consecutive_failures', 'circuit_open_until'])
      .where('enabled', '=', true)
      .execute(),
  );
  const perEndpoint = (
    name: string,
    help: string,
    value: (endpoint: EndpointState, now: number) => number | null,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ['provider'],
      registers: [registry],
      async collect() {
        const endpoints = await read();
        if (!endpoints) return;
        // Endpoints that were disabled or removed disappear from the output.
        this.reset();
        const now = Date.now();
        for (const endpoint of endpoints) {
          const v = value(endpoint, now);
          if (v !== null) this.set({ provider: endpoint.provider_id }, v);
        }
      },
    });
  perEndpoint(
    'catalogue_harvest_consecutive_failures',
    'Harvests of the provider endpoint that failed in a row (0 after a success).',
    (e) => e.consecutive_failures,
  );
  perEndpoint(
    'catalogue_harvest_circuit_open',
    '1 while the endpoint is not asked because it failed too often in a row, else 0.',
    (e, now) => (e.circuit_open_until !== null && e.circuit_open_until.getTime() > now ? 1 : 0),
  );
  perEndpoint(
    'catalogue_harvest_last_success_timestamp_seconds',
    'When the endpoint was last harvested successfully (Unix time); absent before the first success.',
    (e) => (e.last_harvested_at ? e.last_harvested_at.getTime() / 1000 : null),
  );
}
