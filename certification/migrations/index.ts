import type { Migration } from 'kysely';
import * as certification from './2026-11-25T1900-certification.ts';
import * as auditChain from './2026-11-25T1910-audit-chain.ts';
import * as retiredKeys from './2026-11-27T0100-retired-keys-forget-private-part.ts';
import * as hashChecks from './2026-11-27T0300-hash-checks-without-regex.ts';
import * as recordsAppendOnly from './2026-11-27T1700-certification-records-append-only.ts';

/** certification/'s migrations by name; names sort in the order they run. Never edit a landed migration. */
export const certificationMigrations: Record<string, Migration> = {
  '2026-11-25T1900-certification': certification,
  '2026-11-25T1910-audit-chain': auditChain,
  '2026-11-27T0100-retired-keys-forget-private-part': retiredKeys,
  '2026-11-27T0300-hash-checks-without-regex': hashChecks,
  '2026-11-27T1700-certification-records-append-only': recordsAppendOnly,
};
