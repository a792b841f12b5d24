import type { Kysely } from 'kysely';
import { createCertification, type Certification } from '../certification/certification-module.ts';
import type { CatalogWriteHooks } from './catalog/publish-listing.ts';
import type { GatewayConfig } from './config.ts';
import type { Database } from './database/database.ts';
import { composeCatalogWriteHooks, type GatewayModule } from './gateway-module.ts';
import { createSubscriptionsModule, type SubscriptionsModule } from './subscriptions/subscriptions-module.ts';

/** The components that take part in every catalogue write, and the write hooks they make up together. */
export interface WriteModules {
  certification: Certification;
  subscriptions: SubscriptionsModule;
  /** The modules in the order their write hooks run. */
  modules: GatewayModule[];
  /** What every publish, withdrawal and revocation runs inside its transaction (push, harvest, demo data). */
  hooks: CatalogWriteHooks;
}

/**
 * Sets up certification (the criteria catalogue in sync, the signing key loaded; production refuses
 * to start without one) and subscriptions, and composes their write hooks. The gateway publishes
 * through these hooks, and so does the benchmark's loader, so that it measures the same write path.
 */
export async function createWriteModules(
  db: Kysely<Database>,
  config: Pick<GatewayConfig, 'certificateSigningKey' | 'certificateIssuer' | 'subscriptions'>,
): Promise<WriteModules> {
  const certification = await createCertification(db, {
    signingKey: config.certificateSigningKey,
    issuer: config.certificateIssuer,
  });
  const subscriptions = createSubscriptionsModule({
    db,
    config: config.subscriptions,
    signer: certification.signer,
  });
  // Subscriptions before certification: write hooks run in this order, and the audit chain's append
  // (certification's hook) must be a transaction's last write, taken after its other locks.
  const modules: GatewayModule[] = [subscriptions, certification.module];
  return { certification, subscriptions, modules, hooks: composeCatalogWriteHooks(modules) };
}
