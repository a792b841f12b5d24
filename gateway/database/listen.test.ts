import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_DIALECT } from '../../test/helpers/test-database.ts';
import { ResponseCache } from '../graphql/response-cache/response-cache.ts';
import { followCatalogChanges } from '../graphql/response-cache/catalog-change-feed.ts';
import { createTestDatabase } from '../../test/helpers/test-database.ts';
import { listenPostgres, type ChannelListener } from './listen.ts';

/**
 * A TCP relay to PostgreSQL that can stop relaying on the connections it holds without closing
 * them: what a NAT or load balancer that forgets a connection does. New connections are relayed,
 * each after `setupDelayMs` (a TLS handshake to a managed database, a proxy sidecar still starting).
 */
async function startRelay(target: URL, setupDelayMs = 0) {
  const held: Socket[] = [];
  const all: Socket[] = [];
  const server: Server = createServer((inbound) => {
    inbound.pause();
    inbound.on('error', () => {});
    all.push(inbound);
    setTimeout(() => {
      const outbound = connect(Number(target.port || 5432), target.hostname);
      outbound.on('error', () => {});
      all.push(outbound);
      held.push(inbound, outbound);
      inbound.pipe(outbound);
      outbound.pipe(inbound);
      inbound.resume();
    }, setupDelayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as AddressInfo).port);
  return {
    url: url.toString(),
    /** Stops relaying on every connection so far; the sockets stay open and silent. */
    blackHole() {
      for (const socket of held.splice(0)) {
        socket.unpipe();
        socket.pause();
      }
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of all) socket.destroy();
      });
    },
  };
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe.runIf(TEST_DIALECT === 'postgres')('a PostgreSQL LISTEN', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  it('reports a connection that stops answering without closing as down, and listens again', async () => {
    const relay = await startRelay(new URL(process.env.DATABASE_URL!));
    cleanup.push(() => relay.close());
    const events: (boolean | string)[] = [];
    const listener: ChannelListener = await listenPostgres(
      relay.url,
      'vc_listen_heartbeat',
      { notification: (payload) => events.push(payload), connection: (up) => events.push(up) },
      { heartbeatIntervalMs: 50, heartbeatTimeoutMs: 300 },
    );
    cleanup.push(() => listener.close());
    expect(events).toEqual([true]);

    relay.blackHole();
    await until(() => events.length >= 3, 5000);
    // Down, then up again over a new connection through the relay.
    expect(events).toEqual([true, false, true]);
    expect(listener.connected).toBe(true);

    const notifier = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await notifier.connect();
    await notifier.query(`select pg_notify('vc_listen_heartbeat', 'nach der Unterbrechung')`);
    await notifier.end();
    await until(() => events.length >= 4, 5000);
    expect(events).toEqual([true, false, true, 'nach der Unterbrechung']);

    // Closing a connection that has stopped answering does not wait for it (it would wait forever).
    relay.blackHole();
    await listener.close();
    expect(listener.connected).toBe(false);
  });

  /** A response cache following the catalogue's changes over a LISTEN connection through `url`. */
  async function followThrough(url: string) {
    const database = await createTestDatabase();
    cleanup.push(() => database.close());
    const cache = new ResponseCache({ maxBytes: 1 << 20 });
    const listener = await followCatalogChanges(
      {
        ...database,
        listen: (channel, handlers, heartbeat) => listenPostgres(url, channel, handlers, heartbeat),
      },
      cache,
    );
    cleanup.push(() => listener.close());
    return { cache, listener };
  }

  it("turns the response cache off within 1.5 s of the catalogue feed's connection falling silent", async () => {
    // Until then the cache serves answers although another replica's writes may go unheard.
    const relay = await startRelay(new URL(process.env.DATABASE_URL!));
    cleanup.push(() => relay.close());
    const { cache } = await followThrough(relay.url);
    expect(cache.enabled).toBe(true);
    relay.blackHole();
    const silentSince = Date.now();
    await until(() => !cache.enabled, 5000);
    expect(cache.enabled).toBe(false);
    // 500 ms between heartbeats plus 1 s to answer; the defaults (2 s, 3 s) took 3 to 5 s.
    expect(Date.now() - silentSince).toBeLessThan(2500);
  });

  it('starts the catalogue feed over a connection that takes longer to set up than its heartbeat may', async () => {
    // The feed's heartbeat must be answered within 1 s; connecting may take longer, and the gateway
    // waits for this first LISTEN when it starts.
    const relay = await startRelay(new URL(process.env.DATABASE_URL!), 1200);
    cleanup.push(() => relay.close());
    const { cache, listener } = await followThrough(relay.url);
    expect(listener.connected).toBe(true);
    expect(cache.enabled).toBe(true);
  });
});
