import { sql, type Kysely } from 'kysely';
import type { Database, DatabaseHandle } from '../../database/database.ts';
import type { ChannelListener } from '../../database/listen.ts';
import type { ResponseCache } from './response-cache.ts';

/**
 * The channel the watched tables' triggers notify (migrations 2026-11-25T2100-catalog-changed and
 * 2026-11-28T0100-catalog-changed-per-statement).
 */
export const CATALOG_CHANGED_CHANNEL = 'catalog_changed';

/**
 * The tables that carry the `catalog_changed` trigger (of inserts; updates, deletes and truncates
 * have one each too): each change to one is announced with its name.
 */
export async function watchedTables(db: Kysely<Database>): Promise<Set<string>> {
  const { rows } = await sql<{ name: string }>`
    select distinct event_object_table as name from information_schema.triggers
    where trigger_name = 'catalog_changed' and event_object_schema = current_schema()`.execute(db);
  return new Set(rows.map((r) => r.name));
}

/**
 * How quickly a listening connection that died without closing (a NAT or load balancer that forgot
 * it) turns the cache off: it must answer a heartbeat every 500 ms within 1 s. Until then its
 * notifications may be lost while cached answers are still served, so this bounds how long a write
 * another replica made can go unseen here to about 1.5 s (the listener's defaults, 2 s and 3 s, made
 * it 5 s). Two `select 1` a second per replica cost the database nothing to speak of.
 */
export const CATALOG_FEED_HEARTBEAT = { heartbeatIntervalMs: 500, heartbeatTimeoutMs: 1000 } as const;

/**
 * Connects the cache to the database's change notifications: every committed write to a watched
 * table, by this replica, another replica or anyone with SQL access, drops the cached answers read
 * from that table (the notification names it); a notification naming no table this replica knows
 * of (one a newer replica's migration began to watch) drops everything. While the listening
 * connection is down the cache is off (changes in the gap would go unnoticed), and it starts empty
 * when the connection is back.
 */
export async function followCatalogChanges(
  database: DatabaseHandle,
  cache: ResponseCache,
): Promise<ChannelListener> {
  cache.watchedTables = await watchedTables(database.db);
  const listener = await database.listen(
    CATALOG_CHANGED_CHANNEL,
    {
      notification: (table) => cache.invalidateTable(table),
      connection: (connected) => cache.setEnabled(connected),
    },
    CATALOG_FEED_HEARTBEAT,
  );
  cache.setEnabled(listener.connected);
  return listener;
}
