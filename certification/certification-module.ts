import type { Kysely, Transaction } from 'kysely';
import type { CatalogWriteEvent } from '../gateway/catalog/publish-listing.ts';
import type { Database } from '../gateway/database/database.ts';
import type { GatewayModule } from '../gateway/gateway-module.ts';
import { sendJson } from '../gateway/http/respond.ts';
import { appendAuditEvents, SYSTEM_ACTOR, type AuditEventInput } from './audit-chain.ts';
import type { AuditActor } from './schema.ts';
import {
  loadCertificateSigner,
  publishedKeys,
  type CertificateSigner,
  type SigningKeySource,
} from './signing-keys.ts';
import { syncCriteriaCatalogue } from './sync-criteria-catalogue.ts';

/** The path of the certificate verification keys. */
export const JWKS_PATH = '/.well-known/jwks.json';

export interface Certification {
  /** The gateway module: the JWKS route and the audit of every catalogue write. */
  module: GatewayModule;
  signer: CertificateSigner;
}

function catalogWriteActor(event: CatalogWriteEvent): AuditActor {
  if (event.actor) return { subject: event.actor.subject, organisation: event.actor.organisationId };
  if (event.service.source === 'HARVEST') return { subject: 'system:harvest', organisation: null };
  return SYSTEM_ACTOR;
}

/** The audit event of a catalogue write: `service.published` or `service.withdrawn`. */
function auditEventOf(event: CatalogWriteEvent): AuditEventInput {
  const { service } = event;
  return {
    actor: catalogWriteActor(event),
    action: event.action,
    subject: `service:${service.id}`,
    payload:
      event.action === 'service.published'
        ? {
            outcome: event.outcome ?? null,
            revision: service.revision,
            version: service.version,
            contentHash: service.content_hash,
            source: service.source,
            endpoint: service.source_endpoint,
          }
        : { reason: service.withdrawn_reason, revision: service.revision, contentHash: service.content_hash },
  };
}

/** Audits a transaction's catalogue writes, in order, inside that transaction: its write hook. */
export async function auditCatalogWrites(
  trx: Transaction<Database>,
  events: readonly CatalogWriteEvent[],
): Promise<void> {
  await appendAuditEvents(trx, events.map(auditEventOf));
}

/**
 * Sets certification up on a migrated database: the criteria catalogue in sync, the signing key loaded
 * (or generated in demo mode; refused when production mode has none), and the gateway module.
 */
export async function createCertification(
  db: Kysely<Database>,
  options: { signingKey: SigningKeySource; issuer: string },
): Promise<Certification> {
  await syncCriteriaCatalogue(db);
  const signer = await loadCertificateSigner(db, options.signingKey, options.issuer);
  return {
    signer,
    module: {
      name: 'certification',
      routes: {
        [JWKS_PATH]: async (req, res) => {
          if (req.method !== 'GET' && req.method !== 'HEAD') {
            return sendJson(res, 405, { error: `${JWKS_PATH} answers GET` }, { allow: 'GET, HEAD' });
          }
          // Read on every request: a key another replica registered is published at once.
          sendJson(res, 200, await publishedKeys(db), { 'cache-control': 'public, max-age=300' });
        },
      },
      catalogWriteHooks: { afterWrites: auditCatalogWrites },
    },
  };
}
