import type { Migration } from 'kysely';
import * as catalogCore from './2026-11-25T1800-catalog-core.ts';
import * as harvest from './2026-11-25T2000-harvest.ts';
import * as catalogChanged from './2026-11-25T2100-catalog-changed.ts';
import * as catalogChangedComponents from './2026-11-25T2101-catalog-changed-components.ts';
import * as subscriptions from './2026-11-25T2200-subscriptions.ts';
import * as subscriptionsCatalogChanged from './2026-11-25T2210-subscriptions-catalog-changed.ts';
import * as subscriptionDeliveryRetry from './2026-11-26T0100-subscription-delivery-retry.ts';
import * as harvestConfirmedWithdrawals from './2026-11-27T0200-harvest-confirmed-withdrawals.ts';
import * as contentHashCheck from './2026-11-27T0300-content-hash-check-without-regex.ts';
import * as listingTextNfc from './2026-11-27T1400-listing-text-nfc.ts';
import * as organisationIssuer from './2026-11-27T1600-organisation-issuer.ts';
import * as serviceTitleSort from './2026-11-27T1500-service-title-sort.ts';
import * as serviceDocumentUncompressed from './2026-11-28T0000-service-document-uncompressed.ts';
import * as catalogChangedPerStatement from './2026-11-28T0100-catalog-changed-per-statement.ts';

/** The gateway's migrations by name; names sort in the order they run. Never edit a landed migration. */
export const gatewayMigrations: Record<string, Migration> = {
  '2026-11-25T1800-catalog-core': catalogCore,
  '2026-11-25T2000-harvest': harvest,
  '2026-11-25T2100-catalog-changed': catalogChanged,
  '2026-11-25T2101-catalog-changed-components': catalogChangedComponents,
  '2026-11-25T2200-subscriptions': subscriptions,
  '2026-11-25T2210-subscriptions-catalog-changed': subscriptionsCatalogChanged,
  '2026-11-26T0100-subscription-delivery-retry': subscriptionDeliveryRetry,
  '2026-11-27T0200-harvest-confirmed-withdrawals': harvestConfirmedWithdrawals,
  '2026-11-27T0300-content-hash-check-without-regex': contentHashCheck,
  '2026-11-27T1400-listing-text-nfc': listingTextNfc,
  '2026-11-27T1500-service-title-sort': serviceTitleSort,
  '2026-11-27T1600-organisation-issuer': organisationIssuer,
  '2026-11-28T0000-service-document-uncompressed': serviceDocumentUncompressed,
  '2026-11-28T0100-catalog-changed-per-statement': catalogChangedPerStatement,
};
