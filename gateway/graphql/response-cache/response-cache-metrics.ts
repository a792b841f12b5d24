import { Counter, Gauge, type Registry } from 'prom-client';
import type { ResponseCache } from './response-cache.ts';

/** Publishes the response cache's counters in /metrics (read from the cache when scraped). */
export function registerResponseCacheMetrics(registry: Registry, cache: ResponseCache): void {
  const reported = { hits: 0, misses: 0, invalidations: 0 };
  new Counter({
    name: 'catalogue_response_cache_lookups_total',
    help: 'Response cache lookups by result (hit, miss).',
    labelNames: ['result'],
    registers: [registry],
    collect() {
      const { hits, misses } = cache.stats();
      this.inc({ result: 'hit' }, hits - reported.hits);
      this.inc({ result: 'miss' }, misses - reported.misses);
      Object.assign(reported, { hits, misses });
    },
  });
  new Counter({
    name: 'catalogue_response_cache_invalidations_total',
    help: 'Changes the response cache acted on: a watched table changed (its entries dropped), or everything (mutations, reconnects).',
    registers: [registry],
    collect() {
      const { invalidations } = cache.stats();
      this.inc(invalidations - reported.invalidations);
      reported.invalidations = invalidations;
    },
  });
  new Gauge({
    name: 'catalogue_response_cache_bytes',
    help: 'Bytes of cached response bodies.',
    registers: [registry],
    collect() {
      this.set(cache.stats().bytes);
    },
  });
  new Gauge({
    name: 'catalogue_response_cache_enabled',
    help: '1 while the cache answers; 0 while it cannot hear catalogue changes.',
    registers: [registry],
    collect() {
      this.set(cache.enabled ? 1 : 0);
    },
  });
}
