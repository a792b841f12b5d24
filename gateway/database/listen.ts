import type { PGlite } from '@electric-sql/pglite';
import type { Kysely } from 'kysely';
import pg from 'pg';

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

/**
 * LISTENs on a dedicated PostgreSQL connection (not one of the pool's: a pooled connection is
 * handed to other work and would miss or steal notifications). Reconnects with backoff, reporting
 * the gap through `handlers.connection`. Resolves once the first LISTEN is in place.
 */
export async function listenPostgres(
  url: string,
  channel: string,
  handlers: ListenHandlers,
): Promise<ChannelListener> {
  let client: pg.Client | undefined;
  let connected = false;
  let closed = false;
  let delay = RECONNECT_MIN_MS;
  let timer: NodeJS.Timeout | undefined;

  const down = (reason: string) => {
    if (closed) return;
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
      await candidate.query(`listen ${pg.escapeIdentifier(channel)}`);
    } catch (error) {
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
      const last = client;
      client = undefined;
      last?.removeAllListeners();
      last?.on('error', () => {});
      await last?.end().catch(() => {});
    },
  };
}

/**
 * LISTENs in embedded PostgreSQL. PGlite is one session, so the LISTEN goes through the dialect's
 * lock like any statement: issued inside another caller's open transaction it would be undone by
 * that transaction's rollback. The session receives its own notifications, after each commit.
 */
export async function listenPglite(
  client: PGlite,
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
