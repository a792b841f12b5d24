import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** The gateway's Prometheus metrics, in a registry of its own (one per server instance). */
export interface GatewayMetrics {
  registry: Registry;
  httpRequests: Counter<'route' | 'status'>;
  httpDuration: Histogram<'route'>;
  sqlStatements: Histogram<'operation'>;
}

export function createMetrics(): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Counter({
      name: 'catalogue_http_requests_total',
      help: 'HTTP requests by route and status code.',
      labelNames: ['route', 'status'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'catalogue_http_request_duration_seconds',
      help: 'HTTP request duration in seconds.',
      labelNames: ['route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    sqlStatements: new Histogram({
      name: 'catalogue_graphql_sql_statements',
      help: 'SQL statements sent for one GraphQL request.',
      labelNames: ['operation'],
      buckets: [0, 1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 50],
      registers: [registry],
    }),
  };
}

/**
 * For gauges read from the database when /metrics is scraped: `read` runs once per scrape however
 * many gauges ask (prom-client collects them together), and a failed read is logged and answers null,
 * so that the gauges keep their last values instead of failing the whole scrape.
 */
export function readOncePerScrape<T>(name: string, read: () => Promise<T>): () => Promise<T | null> {
  let reading: Promise<T | null> | null = null;
  return () =>
    (reading ??= read()
      .catch((error: unknown) => {
        console.error(`${name} metrics:`, error);
        return null;
      })
      .finally(() => setImmediate(() => (reading = null))));
}
