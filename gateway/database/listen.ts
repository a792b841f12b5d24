import type { Kysely } from 'kysely';
import pg from 'pg';
import type { PGliteWire } from './pglite-wire.ts';

/** What a LISTEN reports: each notification, and when the listening connection drops or is back. */
export interface ListenHandlers {
  notification(payload: string): void;
  /**
   * The listening connection went down (false) or listens again (true). Notifications sent while it
   * was down are lost: whoever relies on them must assume that anything may have changed.
   */
  connection(connected: boolean): void;
}

/** A LISTEN on one channel. */
export interface ChannelListener {
  /** False while the connection is down and being re-established. */
  readonly connected: boolean;
  close(): Promise<void>;
}

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5000;

/** How often the listening connection proves it still answers, and how long it may take to. */
export interface HeartbeatOptions {
  /** Pause between two heartbeats, in ms. Default 2000. */
  heartbeatIntervalMs?: number;
  /** A heartbeat not answered within this many ms means the connection is down. Default 3000. */
  heartbeatTimeoutMs?: number;
  /**
   * How long connecting and the LISTEN may take, in ms. Default 10000: setting a connection up can
   * take longer than a heartbeat on a healthy database (TLS to a managed server, a proxy sidecar still
   * starting), and the gateway waits for the first LISTEN when it starts.
   */
  connectTimeoutMs?: number;
}

/**
 * LISTENs on a dedicated PostgreSQL connection (not one of the pool's: a pooled connection is
 * handed to other work and would miss or steal notifications). Reconnects with backoff, reporting
 * the gap through `handlers.connection`. Resolves once the first LISTEN is in place.
 *
 * A connection can die without closing (a NAT or load balancer that forgets it, a network cut): no
 * error arrives and notifications just stop, for as long as TCP keepalive takes to notice (hours by
 * default). So the connection answers a `select 1` every couple of seconds; one that does not within
 * the timeout is reported down, and whoever relies on the notifications stops trusting them.
 */
export async function listenPostgres(
  url: string,
  channel: string,
  handlers: ListenHandlers,
  options: HeartbeatOptions = {},
): Promise<ChannelListener> {
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 2000;
  const heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 3000;
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  let client: pg.Client | undefined;
  let connected = false;
  let closed = false;
  let delay = RECONNECT_MIN_MS;
  let timer: NodeJS.Timeout | undefined;
  let heartbeat: NodeJS.Timeout | undefined;

  const beat = (current: pg.Client) => {
    heartbeat = setTimeout(() => {
      withTimeout(current.query('select 1'), heartbeatTimeoutMs, 'no answer to the heartbeat').then(
        () => {
          if (client === current && !closed) beat(current);
        },
        (error: unknown) => {
          if (client !== current) return;
          destroySocket(current);
          down((error as Error).message);
        },
      );
    }, heartbeatIntervalMs);
    heartbeat.unref();
  };

  const down = (reason: string) => {
    if (closed) return;
    clearTimeout(heartbeat);
    const wasConnected = connected;
    connected = false;
    client?.removeAllListeners();
    client?.on('error', () => {});
    void client?.end().catch(() => {});
    client = undefined;
    if (wasConnected) {
      console.error(`listen ${channel}: connection lost (${reason}); reconnecting`);
      handlers.connection(false);
    }
    clearTimeout(timer);
    timer = setTimeout(() => void connect().catch(() => {}), delay);
    timer.unref();
    delay = Math.min(delay * 2, RECONNECT_MAX_MS);
  };

  const connect = async () => {
    const candidate = new pg.Client({
      connectionString: url,
      keepAlive: true,
      connectionTimeoutMillis: connectTimeoutMs,
      application_name: `catalogue-listen-${channel}`,
    });
    candidate.on('error', (error) => down(error.message));
    candidate.on('end', () => down('connection ended'));
    candidate.on('notification', (message) => {
      if (message.channel === channel) handlers.notification(message.payload ?? '');
    });
    client = candidate;
    try {
      await candidate.connect();
      await withTimeout(
        candidate.query(`listen ${pg.escapeIdentifier(channel)}`),
        connectTimeoutMs,
        'no answer to LISTEN',
      );
    } catch (error) {
      // A connection that failed to listen is of no further use, and may not answer an end either.
      destroySocket(candidate);
      down((error as Error).message);
      throw error;
    }
    if (closed) {
      await candidate.end().catch(() => {});
      return;
    }
    connected = true;
    delay = RECONNECT_MIN_MS;
    handlers.connection(true);
    beat(candidate);
  };

  try {
    await connect();
  } catch (error) {
    closed = true;
    clearTimeout(timer);
    throw error;
  }
  return {
    get connected() {
      return connected;
    },
    close: async () => {
      closed = true;
      connected = false;
      clearTimeout(timer);
      clearTimeout(heartbeat);
      const last = client;
      client = undefined;
      if (!last) return;
      last.removeAllListeners();
      last.on('error', () => {});
      await withTimeout(last.end(), heartbeatTimeoutMs, 'no answer to the end of the connection').catch(() =>
        destroySocket(last),
      );
    },
  };
}

/**
 * Closes a client's socket without a goodbye. Ending a connection that does not answer waits for an
 * answer that never comes, and its socket would keep the process alive.
 */
function destroySocket(client: pg.Client): void {
  (client as unknown as { connection?: { stream?: { destroy?(): void } } }).connection?.stream?.destroy?.();
}

/** `promise`, or a rejection with `message` when it has not settled within `ms`. */
async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timeout: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timeout = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timeout);
  }
}

/**
 * LISTENs in embedded PostgreSQL. PGlite is one session, so the LISTEN goes through the dialect's
 * lock like any statement: issued inside another caller's open transaction it would be undone by
 * that transaction's rollback. The session receives its own notifications, after each commit.
 */
export async function listenPglite(
  client: PGliteWire,
  db: Kysely<unknown>,
  channel: string,
  handlers: ListenHandlers,
): Promise<ChannelListener> {
  const callback = (payload: string) => handlers.notification(payload);
  await db.connection().execute(() => client.listen(channel, callback));
  let closed = false;
  return {
    get connected() {
      return !closed;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      if (!client.closed) await db.connection().execute(() => client.unlisten(channel, callback));
    },
  };
}
