import { createHash } from 'node:crypto';
import { currentProfiles } from '../../certification/criteria-catalogue.ts';
import type { TestServer } from './test-server.ts';

/** The demo-mode principal of the coordination office, as tests send it. */
export const COORDINATOR = 'coordinator@koordinierungsstelle';

export const RECORD_CHECK = `
  mutation Record($input: RecordCheckInput!) {
    recordCheck(input: $input) { id outcome contentHash current validUntil criterion { id version } }
  }`;

export const ISSUE = `
  mutation Issue($serviceId: ID!, $profile: ID!) {
    issueCertificate(serviceId: $serviceId, profile: $profile) {
      id jws keyId contentHash issuedAt expiresAt status
      profile { id version }
      checks { criterion { id version } outcome evidenceSha256 validUntil }
    }
  }`;

export const REVOKE = `
  mutation Revoke($id: ID!, $reason: String!) {
    revokeCertificate(id: $id, reason: $reason) { id status revokedAt revocationReason }
  }`;

/** Evidence for a criterion: a made-up document URL and the SHA-256 of its text. */
export function evidenceFor(
  serviceId: string,
  criterion: string,
): { evidenceUrl: string; evidenceSha256: string } {
  const evidenceUrl = `https://nachweise.example/${serviceId}/${criterion}.pdf`;
  return { evidenceUrl, evidenceSha256: createHash('sha256').update(evidenceUrl).digest('hex') };
}

/** The criteria ids a profile requires (current version). */
export function criteriaOf(profile: string): string[] {
  return currentProfiles()
    .get(profile)!
    .criteria.map((c) => c.id);
}

/** Records a check through the API as the coordinator and fails the test on any error. */
export async function recordCheck(
  t: TestServer,
  serviceId: string,
  criterion: string,
  outcome: 'PASSED' | 'FAILED' = 'PASSED',
  extra: Record<string, unknown> = {},
): Promise<any> {
  const response = await t.graphql(
    RECORD_CHECK,
    { input: { serviceId, criterion, outcome, ...evidenceFor(serviceId, criterion), ...extra } },
    { as: COORDINATOR },
  );
  if (response.errors) throw new Error(`recordCheck failed: ${JSON.stringify(response.errors)}`);
  return response.data!.recordCheck;
}

/** Records PASSED checks for every criterion of a profile. */
export async function passAll(t: TestServer, serviceId: string, profile: string): Promise<void> {
  for (const criterion of criteriaOf(profile)) await recordCheck(t, serviceId, criterion);
}

/** Issues a certificate through the API and fails the test on any error. */
export async function issue(t: TestServer, serviceId: string, profile: string): Promise<any> {
  const response = await t.graphql(ISSUE, { serviceId, profile }, { as: COORDINATOR });
  if (response.errors) throw new Error(`issueCertificate failed: ${JSON.stringify(response.errors)}`);
  return response.data!.issueCertificate;
}
