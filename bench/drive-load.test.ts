import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { combine, driveLoad, type LoadStats } from './drive-load.ts';

const servers: ReturnType<typeof createServer>[] = [];
afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A server on port 0 that answers each request with `answer`, and counts the requests. */
async function serve(answer: (n: number, res: ServerResponse) => void) {
  let received = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => answer(++received, res));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received: () => received };
}

const REQUESTS = [{ body: '{"query":"{ __typename }"}', headers: {} }];

describe('driveLoad', () => {
  it('counts each failed request once: a timeout, a non-2xx answer, GraphQL errors in a 200', async () => {
    // A timeout was counted twice: autocannon counts it among its errors as well as its timeouts.
    const silent = await serve(() => undefined);
    const timedOut = await driveLoad(silent.url, REQUESTS, 2, 3, 1);
    expect(silent.received()).toBeGreaterThan(0);
    expect(timedOut.errors).toBeLessThanOrEqual(silent.received());
    expect(timedOut.errors).toBeGreaterThanOrEqual(silent.received() - 2);

    // Every other answer fails: one with 500, one with GraphQL errors in a 200.
    const mixed = await serve((n, res) => {
      if (n % 2 === 0) return void res.writeHead(500).end();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(n % 4 === 1 ? '{"data":{"__typename":"Query"}}' : '{"errors":[{"message":"nein"}]}');
    });
    const stats = await driveLoad(mixed.url, REQUESTS, 2, 1);
    expect(stats.requests).toBeGreaterThan(10);
    expect(stats.errors / stats.requests).toBeGreaterThan(0.7);
    expect(stats.errors / stats.requests).toBeLessThan(0.8);
  });
});

describe('combine', () => {
  it("reports the worst round's 99th percentile, not the median of the rounds'", () => {
    const round = (p50Ms: number, p99Ms: number): LoadStats => ({
      requests: 100,
      seconds: 10,
      requestsPerSecond: 10,
      p50Ms,
      p99Ms,
      errors: 0,
      meanResponseBytes: 1000,
    });
    const combined = combine([round(10, 2033), round(12, 1185), round(11, 1786)]);
    expect(combined).toMatchObject({
      requests: 300,
      seconds: 30,
      requestsPerSecond: 10,
      p50Ms: 11,
      p99Ms: 2033,
    });
  });
});
