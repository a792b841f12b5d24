import type { Kysely } from 'kysely';
import type { CertificateSigner } from '../../certification/signing-keys.ts';
import type { Principal } from '../auth/principal.ts';
import type { RegistrationOptions } from '../catalog/organisation-registry.ts';
import type { CatalogWriteHooks } from '../catalog/publish-listing.ts';
import type { Database } from '../database/database.ts';
import type { Harvester } from '../harvest/harvester.ts';
import type { OutboundUrlRules } from '../http/outbound-url.ts';
import type { Loaders } from './loaders.ts';

/** What every resolver receives: the database, the caller, per-request loaders, write hooks. */
export interface GatewayContext {
  db: Kysely<Database>;
  principal: Principal | null;
  loaders: Loaders;
  hooks: CatalogWriteHooks;
  /** Signs certificates with the current key (certification/signing-keys.ts). */
  certificateSigner: CertificateSigner;
  /** What a provider's subscription webhook URL may be (gateway/subscriptions/provider-webhook.ts). */
  webhookUrlRules: OutboundUrlRules;
  /** Runs harvests on request (gateway/harvest/harvester.ts). */
  harvester: Harvester;
  /** The issuers whose tokens sign in (OIDC_ISSUER; demo mode: the development identity provider). */
  trustedIssuers: readonly string[];
  /** How registerOrganisation binds a new organisation to an issuer (demo mode: only when named). */
  organisationRegistration: RegistrationOptions;
}
