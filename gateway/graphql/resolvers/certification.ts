import {
  checksOfService,
  expiringCertificates,
  nextCertificateExpiry,
} from '../../../certification/certificates.ts';
import type { CertificationActor } from '../../../certification/certification-actor.ts';
import {
  certificateStatus,
  certificationStatus,
  type CertificationStatus,
} from '../../../certification/certification-status.ts';
import type { CriteriaCatalogue } from '../../../certification/criteria.ts';
import { issueCertificate } from '../../../certification/issue-certificate.ts';
import { recordCheck } from '../../../certification/record-check.ts';
import { revokeCertificate } from '../../../certification/revoke-certificate.ts';
import type { CriterionRow, ListingRequirements, ProfileRow } from '../../../certification/schema.ts';
import { verifyCatalogueCertificate } from '../../../certification/verify-catalogue-certificate.ts';
import { requireRole } from '../../auth/policy.ts';
import type { GatewayContext } from '../context.ts';
import { cacheResponseUntil, preventResponseCaching } from '../response-cache/request-cacheability.ts';
import { UserError } from '../../errors.ts';
import type { Resolvers } from '../generated/resolvers-types.ts';

async function coordinator(context: GatewayContext, action: string): Promise<CertificationActor> {
  const actor = await requireRole(context, 'coordinator', action);
  return { subject: actor.principal.subject, organisation: actor.organisation.id };
}

function catalogue(context: GatewayContext): Promise<CriteriaCatalogue> {
  return context.loaders.criteriaCatalogue.load('all');
}

/** The newest version per id of rows sorted by id, then newest version first. */
function newestVersions<T extends { id: string }>(rows: T[]): T[] {
  return rows.filter((r, i) => i === 0 || rows[i - 1]!.id !== r.id);
}

async function criterion(context: GatewayContext, id: string, version: number): Promise<CriterionRow> {
  const found = (await catalogue(context)).criterion(id, version);
  if (!found) throw new Error(`criterion ${id}@${version} is not stored`);
  return found;
}

async function profile(context: GatewayContext, id: string, version: number): Promise<ProfileRow> {
  const found = (await catalogue(context)).profile(id, version);
  if (!found) throw new Error(`profile ${id}@${version} is not stored`);
  return found;
}

/**
 * Certification statuses change with the clock, not only with writes: a response that shows one is
 * cached only until the moment it would change (see gateway/graphql/response-cache/README.md).
 */
function untilStatusChanges(context: GatewayContext, status: CertificationStatus, now: Date): void {
  const expiries = status.certificates
    .filter((c) => c.revoked_at === null && c.expires_at.getTime() > now.getTime())
    .map((c) => c.expires_at.getTime());
  if (expiries.length > 0) cacheResponseUntil(context, new Date(Math.min(...expiries)));
}

/** For `services(filter: { certified })`: its answer holds until the next certificate expires. */
export async function boundByCertificateExpiry(context: GatewayContext): Promise<void> {
  const next = await nextCertificateExpiry(context.db);
  if (next) cacheResponseUntil(context, next);
}

async function serviceOf(context: GatewayContext, serviceId: string) {
  const service = await context.loaders.service.load(serviceId);
  if (!service) throw new Error(`service ${serviceId} of a certificate or check is missing`);
  return service;
}

export const certificationResolvers: Resolvers = {
  Query: {
    certificationCriteria: async (_parent, { allVersions }, context) => {
      const rows = (await catalogue(context)).criteria;
      return allVersions ? rows : newestVersions(rows);
    },
    certificationProfiles: async (_parent, { allVersions }, context) => {
      const rows = (await catalogue(context)).profiles;
      return allVersions ? rows : newestVersions(rows);
    },
    certificate: (_parent, { id }, context) => context.loaders.certificate.load(id),
    verifyCertificate: async (_parent, { jws }, context) => {
      const result = await verifyCatalogueCertificate(context.db, jws, context.certificateSigner.issuer);
      if (result.valid && result.claims) cacheResponseUntil(context, new Date(result.claims.exp * 1000));
      // Another replica may start with a new key at any moment; no table change announces it.
      if (result.problem === 'UNKNOWN_KEY') preventResponseCaching(context, 'the key set can grow');
      return result;
    },
    expiringCertificates: async (_parent, { withinDays }, context) => {
      await coordinator(context, 'expiringCertificates');
      preventResponseCaching(context, 'the window moves with the clock');
      return expiringCertificates(context.db, withinDays);
    },
    certificationChecks: async (_parent, { serviceId }, context) => {
      await coordinator(context, 'certificationChecks');
      if (!(await context.loaders.service.load(serviceId)))
        throw new UserError('NOT_FOUND', `There is no service ${serviceId}.`, { serviceId });
      return checksOfService(context.db, serviceId);
    },
  },

  Mutation: {
    recordCheck: async (_parent, { input }, context) => {
      const actor = await coordinator(context, 'recordCheck');
      return recordCheck(context.db, {
        serviceId: input.serviceId,
        criterionId: input.criterion,
        outcome: input.outcome,
        evidenceUrl: input.evidenceUrl,
        evidenceSha256: input.evidenceSha256,
        notes: input.notes ?? null,
        validUntil: input.validUntil ?? null,
        actor,
      });
    },
    issueCertificate: async (_parent, { serviceId, profile: profileId }, context) => {
      const actor = await coordinator(context, 'issueCertificate');
      const certificate = await issueCertificate(context.db, context.certificateSigner, {
        serviceId,
        profileId,
        actor,
      });
      context.loaders.certificatesByService.clear(serviceId);
      context.loaders.certificate.prime(certificate.id, certificate);
      return certificate;
    },
    revokeCertificate: async (_parent, { id, reason }, context) => {
      const actor = await coordinator(context, 'revokeCertificate');
      const revoked = await revokeCertificate(
        context.db,
        { certificateId: id, reason, actor },
        context.hooks,
      );
      context.loaders.certificatesByService.clear(revoked.service_id);
      context.loaders.certificate.clear(id).prime(id, revoked);
      return revoked;
    },
  },

  Service: {
    certification: async (service, _args, context) => {
      const now = new Date();
      const certificates = await context.loaders.certificatesByService.load(service.id);
      const status = certificationStatus(service, certificates, now);
      untilStatusChanges(context, status, now);
      return { service, status };
    },
  },

  Certification: {
    status: ({ status }) => status.status,
    profile: ({ status }, _args, context) =>
      status.status === 'CERTIFIED' && status.certificate
        ? profile(context, status.certificate.profile_id, status.certificate.profile_version)
        : null,
    validUntil: ({ status }) =>
      status.status === 'CERTIFIED' ? (status.certificate?.expires_at ?? null) : null,
    revocationReason: ({ status }) =>
      status.status === 'REVOKED' ? (status.certificate?.revocation_reason ?? null) : null,
    certificate: ({ status }) => status.certificate,
    certificates: ({ status }) => status.certificates,
  },

  Certificate: {
    service: (certificate, _args, context) => serviceOf(context, certificate.service_id),
    status: async (certificate, _args, context) => {
      const service = await serviceOf(context, certificate.service_id);
      const status = certificateStatus(certificate, service.content_hash, new Date());
      if (status === 'CERTIFIED') cacheResponseUntil(context, certificate.expires_at);
      return status;
    },
    profile: (certificate, _args, context) =>
      profile(context, certificate.profile_id, certificate.profile_version),
    contentHash: (certificate) => certificate.content_hash,
    issuedAt: (certificate) => certificate.issued_at,
    expiresAt: (certificate) => certificate.expires_at,
    keyId: (certificate) => certificate.kid,
    checks: (certificate) => certificate.checks,
    revokedAt: (certificate) => certificate.revoked_at,
    revocationReason: (certificate) => certificate.revocation_reason,
  },

  CertifiedCheck: {
    criterion: (check, _args, context) => criterion(context, check.criterion, check.criterionVersion),
    checkedAt: (check) => new Date(check.checkedAt),
    validUntil: (check) => new Date(check.validUntil),
  },

  CertificationCheck: {
    service: (check, _args, context) => serviceOf(context, check.service_id),
    criterion: (check, _args, context) => criterion(context, check.criterion_id, check.criterion_version),
    contentHash: (check) => check.content_hash,
    current: async (check, _args, context) => {
      const service = await serviceOf(context, check.service_id);
      const current = service.content_hash === check.content_hash && check.valid_until.getTime() > Date.now();
      if (current) cacheResponseUntil(context, check.valid_until);
      return current;
    },
    evidenceUrl: (check) => check.evidence_url,
    evidenceSha256: (check) => check.evidence_sha256,
    checkedAt: (check) => check.checked_at,
    validUntil: (check) => check.valid_until,
    checkedBy: async (check, _args, context) => {
      const organisation = await context.loaders.organisation.load(check.checked_by_organisation);
      if (!organisation) throw new Error(`organisation ${check.checked_by_organisation} is missing`);
      return organisation;
    },
  },

  CertificationCriterion: {
    defaultValidityDays: (row) => row.default_validity_days,
  },

  CertificationProfile: {
    criteria: (row, _args, context) =>
      Promise.all(
        (row.criteria as { id: string; version: number }[]).map((c) => criterion(context, c.id, c.version)),
      ),
    requiresSchutzbedarf: (row) => (row.listing_requirements as ListingRequirements).minSchutzbedarf ?? null,
    requiresEfa: (row) => (row.listing_requirements as ListingRequirements).efa === true,
  },

  CertificateVerification: {
    keyId: (result) => result.keyId,
  },
};
