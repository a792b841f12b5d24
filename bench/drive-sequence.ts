// The load generator for a scenario whose requests depend on each other (subscribe, then cancel the
// subscription it created): each client runs its own chain of requests over a kept-alive
// connection, as fast as the server answers, and every single request is timed.
import type { LoadStats } from './drive-load.ts';

/** One GraphQL request of a chain and what the next one needs from its answer. */
export interface ChainStep {
  body: string;
  headers: Record<string, string>;
}

/**
 * A client's chain: given the previous response's parsed body (undefined at the start of a chain),
 * returns the next request. A chain restarts after its last step.
 */
export type Chain = (previous: unknown, step: number) => ChainStep | null;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * Runs the chains of the clients for `seconds`, then lets each finish the chain it is in; a request
 * that fails (HTTP status other than 200, or GraphQL errors) counts as an error and restarts its chain.
 */
export async function driveChains(url: string, chains: Chain[], seconds: number): Promise<LoadStats> {
  const latencies: number[] = [];
  let errors = 0;
  let bytes = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    chains.map(async (chain) => {
      let previous: unknown;
      let step = 0;
      // A chain that has begun is finished (a subscription is not left open for the next round).
      while (step > 0 || performance.now() < deadline) {
        const next = chain(previous, step);
        if (next === null) {
          previous = undefined;
          step = 0;
          continue;
        }
        const sent = performance.now();
        let ok = false;
        try {
          const response = await fetch(`${url}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...next.headers },
            body: next.body,
          });
          const text = await response.text();
          bytes += Buffer.byteLength(text);
          const parsed = JSON.parse(text) as { errors?: unknown[] };
          ok = response.status === 200 && !parsed.errors;
          previous = parsed;
        } catch {
          ok = false;
        }
        latencies.push(performance.now() - sent);
        if (ok) {
          step++;
        } else {
          errors++;
          previous = undefined;
          step = 0;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    requests: latencies.length,
    seconds: elapsed,
    requestsPerSecond: latencies.length / elapsed,
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    errors,
    meanResponseBytes: latencies.length > 0 ? bytes / latencies.length : 0,
  };
}
