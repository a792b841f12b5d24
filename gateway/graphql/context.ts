import type { Kysely } from 'kysely';
import type { Principal } from '../auth/principal.ts';
import type { CatalogWriteHooks } from '../catalog/publish-listing.ts';
import type { Database } from '../database/database.ts';
import type { Loaders } from './loaders.ts';

/** What every resolver receives: the database, the caller, per-request loaders, write hooks. */
export interface GatewayContext {
  db: Kysely<Database>;
  principal: Principal | null;
  loaders: Loaders;
  hooks: CatalogWriteHooks;
}
