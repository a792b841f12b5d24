import type { Kysely } from 'kysely';
import type { CertificationTables } from '../../certification/schema.ts';
import type { HarvestTables } from '../harvest/store/harvest-tables.ts';
import type { SubscriptionTables } from '../subscriptions/subscription-tables.ts';
import type { ChannelListener, HeartbeatOptions, ListenHandlers } from './listen.ts';
import type { CatalogTables } from './schema.ts';

/** All tables of the catalogue's PostgreSQL database. */
export type Database = CatalogTables & CertificationTables & SubscriptionTables & HarvestTables;

/** The one database seam: a kysely instance on PostgreSQL or embedded PGlite, and how to close it. */
export interface DatabaseHandle {
  db: Kysely<Database>;
  dialect: 'postgres' | 'pglite';
  /**
   * LISTENs on a notification channel (on PostgreSQL over a dedicated connection, whose liveness the
   * heartbeat options set; embedded PostgreSQL, in this process, cannot lose a notification).
   */
  listen(channel: string, handlers: ListenHandlers, heartbeat?: HeartbeatOptions): Promise<ChannelListener>;
  close(): Promise<void>;
}
