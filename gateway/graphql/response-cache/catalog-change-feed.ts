import type { DatabaseHandle } from '../../database/database.ts';
import type { ChannelListener } from '../../database/listen.ts';
import type { ResponseCache } from './response-cache.ts';

/** The channel the `catalog_changed()` trigger notifies (migration 2026-11-25T2100-catalog-changed). */
export const CATALOG_CHANGED_CHANNEL = 'catalog_changed';

/**
 * Connects the cache to the database's change notifications: every committed write to a watched
 * table, by this replica, another replica or anyone with SQL access, clears the cache. While the
 * listening connection is down the cache is off (changes in the gap would go unnoticed), and it
 * starts empty when the connection is back.
 */
export async function followCatalogChanges(
  database: DatabaseHandle,
  cache: ResponseCache,
): Promise<ChannelListener> {
  const listener = await database.listen(CATALOG_CHANGED_CHANNEL, {
    notification: () => cache.invalidate(),
    connection: (connected) => cache.setEnabled(connected),
  });
  cache.setEnabled(listener.connected);
  return listener;
}
