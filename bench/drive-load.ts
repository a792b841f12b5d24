// The load generator: autocannon in this process, the server measured in another.
import autocannon from 'autocannon';
import type { BenchRequest } from './scenarios.ts';

export interface LoadStats {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Connection errors, timeouts, non-2xx responses and GraphQL `errors` together. */
  errors: number;
  meanResponseBytes: number;
}

async function run(
  url: string,
  requests: BenchRequest[],
  connections: number,
  seconds: number,
  timeoutSeconds: number,
) {
  let next = 0;
  let graphqlErrors = 0;
  const result = await autocannon({
    url: `${url}/graphql`,
    connections,
    duration: seconds,
    timeout: timeoutSeconds,
    requests: [
      {
        method: 'POST',
        // Each request takes the next body of the rotation, whichever connection sends it.
        setupRequest: (request) => {
          const { body, headers } = requests[next++ % requests.length]!;
          return { ...request, body, headers: { 'content-type': 'application/json', ...headers } };
        },
        onResponse: (status, body) => {
          if (status === 200 && body.includes('"errors":[')) graphqlErrors++;
        },
      },
    ],
  });
  return { result, graphqlErrors };
}

/** One measurement: requests per second, median and 99th percentile latency, errors. */
export async function driveLoad(
  url: string,
  requests: BenchRequest[],
  connections: number,
  seconds: number,
  /** An embedded-PostgreSQL search under full load can take several seconds: measure it, do not drop it. */
  timeoutSeconds = 60,
): Promise<LoadStats> {
  const { result, graphqlErrors } = await run(url, requests, connections, seconds, timeoutSeconds);
  const total = result.requests.total;
  return {
    requests: total,
    seconds: result.duration,
    requestsPerSecond: total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    // autocannon counts a timeout among its errors as well: adding `timeouts` counted each twice.
    errors: result.errors + result.non2xx + graphqlErrors,
    meanResponseBytes: total > 0 ? result.throughput.total / total : 0,
  };
}

/**
 * Several measurements of one server combined: total requests over total time, the median of the
 * rounds' medians, and the worst round's 99th percentile (autocannon returns percentiles, not its
 * histogram, so the 99th percentile of all requests is not at hand; the median of the rounds' would
 * drop the worst round).
 */
export function combine(rounds: LoadStats[]): LoadStats {
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = sorted.length >> 1;
    return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  };
  const requests = rounds.reduce((sum, r) => sum + r.requests, 0);
  const seconds = rounds.reduce((sum, r) => sum + r.seconds, 0);
  return {
    requests,
    seconds,
    requestsPerSecond: requests / seconds,
    p50Ms: median(rounds.map((r) => r.p50Ms)),
    p99Ms: Math.max(...rounds.map((r) => r.p99Ms)),
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
    meanResponseBytes:
      rounds.reduce((sum, r) => sum + r.meanResponseBytes * r.requests, 0) / Math.max(1, requests),
  };
}
