// What the resolvers receive as parents (codegen "mappers"): our own rows and reference objects.
import type { Land, Lebenslage, OzgLeistung, Themenfeld } from '../../catalog-schema/reference-data.ts';
import type { OrganisationRow, ServiceRow } from '../database/schema.ts';
import type { ServiceSearch } from '../catalog/search-services.ts';
import type { CertificationStatus } from '../../certification/certification-status.ts';
import type { Page } from '../subscriptions/page-cursor.ts';
import type { ProviderWebhookRow } from '../subscriptions/provider-webhook.ts';
import type { SubscriptionStepRecord } from '../subscriptions/subscription-steps.ts';
import type {
  ServiceSubscriptionEventRow,
  ServiceSubscriptionRow,
  SubscriptionOutboxRow,
} from '../subscriptions/subscription-tables.ts';
import type { CertificateVerificationResult } from '../../certification/verify-catalogue-certificate.ts';
import type {
  CertificateRow,
  CertifiedCheck,
  CheckRow,
  CriterionRow,
  ProfileRow,
} from '../../certification/schema.ts';

import type { HarvestEndpointRow, HarvestRunRow } from '../harvest/store/harvest-tables.ts';

export type ServiceModel = ServiceRow;
export type OrganisationModel = OrganisationRow;
export type OzgLeistungModel = OzgLeistung;
export type ThemenfeldModel = Themenfeld;
export type LebenslageModel = Lebenslage;
export type LandModel = Land;
export type ServiceConnectionModel = ServiceSearch;
export type CertificationModel = { service: ServiceRow; status: CertificationStatus };
export type CertificateModel = CertificateRow;
export type CertifiedCheckModel = CertifiedCheck;
export type CertificationCheckModel = CheckRow;
export type CertificationCriterionModel = CriterionRow;
export type CertificationProfileModel = ProfileRow;
export type CertificateVerificationModel = CertificateVerificationResult;
export type ServiceSubscriptionModel = ServiceSubscriptionRow;
export type ServiceSubscriptionEventModel = ServiceSubscriptionEventRow;
export type ServiceSubscriptionConnectionModel = Page<ServiceSubscriptionRow>;
export type SubscriptionStepModel = SubscriptionStepRecord;
export type SubscriptionDeliveryModel = SubscriptionOutboxRow;
export type SubscriptionDeliveryConnectionModel = Page<SubscriptionOutboxRow>;
export type SubscriptionWebhookModel = ProviderWebhookRow;
export type HarvestEndpointModel = HarvestEndpointRow;
export type HarvestRunModel = HarvestRunRow;
