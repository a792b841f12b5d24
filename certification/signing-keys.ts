import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import { calculateJwkThumbprint, importJWK, SignJWT, type JSONWebKeySet, type JWK } from 'jose';
import { sql, type Kysely, type Transaction } from 'kysely';
import { signNotification as signNotificationBody } from '../catalog-schema/notification-signature.ts';
import type { Database } from '../gateway/database/database.ts';
import { appendAuditEvent, SYSTEM_ACTOR } from './audit-chain.ts';
import { CERTIFICATE_TYP, type CertificateAlgorithm, type CertificateClaims } from './certificate-claims.ts';
import type { SigningKeyOrigin } from './schema.ts';

/**
 * Where the certificate signing key comes from. `file`: a private key (PEM, PKCS#8 or SEC1, or a JWK
 * as JSON) from configuration, the production way. `generate`: demo mode, a key generated on first start
 * and kept in the database. `missing`: production without a key; the gateway refuses to start.
 */
export type SigningKeySource = { kind: 'file'; path: string } | { kind: 'generate' } | { kind: 'missing' };

/** Signs certificates with the current key. */
export interface CertificateSigner {
  readonly kid: string;
  readonly alg: CertificateAlgorithm;
  readonly issuer: string;
  /** Signs the claims as a compact JWS with this signer's `kid` and the certificate `typ`. */
  sign(claims: Omit<CertificateClaims, 'iss'>): Promise<string>;
  /**
   * Signs a subscription notification body with the same key (catalog-schema/notification-signature.ts):
   * the value of its signature header. Added for gateway/subscriptions; the key never leaves this module.
   */
  signNotification(body: Uint8Array): Promise<string>;
}

/** The environment variable that names the key file (documented in the README's configuration table). */
export const SIGNING_KEY_FILE_VARIABLE = 'CERTIFICATE_SIGNING_KEY_FILE';

function algorithmOf(key: KeyObject): CertificateAlgorithm {
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  throw new Error(
    `the certificate signing key must be an EC P-256 (ES256) or Ed25519 (EdDSA) private key, not ${key.asymmetricKeyType ?? 'a symmetric key'}${key.asymmetricKeyDetails?.namedCurve ? ` on ${key.asymmetricKeyDetails.namedCurve}` : ''}`,
  );
}

/** Reads a private key file (PEM or JWK); the error never quotes the file's content. */
function readKeyFile(path: string): KeyObject {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`${SIGNING_KEY_FILE_VARIABLE}: cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    const trimmed = text.trim();
    const key = trimmed.startsWith('{')
      ? createPrivateKey({ key: JSON.parse(trimmed) as JsonWebKey, format: 'jwk' })
      : createPrivateKey(trimmed);
    if (key.type !== 'private') throw new Error('not a private key');
    return key;
  } catch (error) {
    throw new Error(
      `${SIGNING_KEY_FILE_VARIABLE}: ${path} holds no usable private key (expected PEM or a private JWK): ${(error as Error).message}`,
    );
  }
}

async function keyPair(
  privateKey: KeyObject,
): Promise<{ alg: CertificateAlgorithm; kid: string; publicJwk: JWK; privateJwk: JWK }> {
  const alg = algorithmOf(privateKey);
  const publicJwk = createPublicKey(privateKey).export({ format: 'jwk' }) as JWK;
  const privateJwk = privateKey.export({ format: 'jwk' }) as JWK;
  return { alg, kid: await calculateJwkThumbprint(publicJwk, 'sha256'), publicJwk, privateJwk };
}

async function signer(
  kid: string,
  alg: CertificateAlgorithm,
  privateJwk: JWK,
  issuer: string,
): Promise<CertificateSigner> {
  const key = await importJWK(privateJwk, alg);
  return {
    kid,
    alg,
    issuer,
    sign: (claims) =>
      new SignJWT({ ...claims })
        .setProtectedHeader({ alg, kid, typ: CERTIFICATE_TYP })
        .setIssuer(issuer)
        .sign(key),
    signNotification: (body) => signNotificationBody(body, key, { alg, kid }),
  };
}

/**
 * Makes `kid` the key that signs from now on: stores its public key (published for good, so every
 * certificate it signs keeps verifying), marks every other key retired, and records both in the audit
 * chain. Runs under a table lock so that replicas starting together agree.
 */
async function makeCurrent(
  trx: Transaction<Database>,
  key: {
    kid: string;
    alg: CertificateAlgorithm;
    publicJwk: JWK;
    privateJwk: JWK | null;
    origin: SigningKeyOrigin;
  },
): Promise<void> {
  const known = await trx
    .selectFrom('certification_signing_key')
    .select(['kid', 'retired_at'])
    .where('kid', '=', key.kid)
    .executeTakeFirst();
  if (!known) {
    await trx
      .insertInto('certification_signing_key')
      .values({
        kid: key.kid,
        alg: key.alg,
        public_jwk: JSON.stringify(key.publicJwk),
        private_jwk: key.privateJwk ? JSON.stringify(key.privateJwk) : null,
        origin: key.origin,
        retired_at: null,
      })
      .execute();
  } else if (known.retired_at !== null) {
    // A key that signed before signs again (a rotation rolled back, or a replica restarted with the old
    // key file): it is current once more, and the replicas that run with the key it replaces stop
    // issuing (issue-certificate.ts). Recorded in the audit chain below.
    await trx
      .updateTable('certification_signing_key')
      .set({ retired_at: null })
      .where('kid', '=', key.kid)
      .execute();
  }
  // Demo mode signs only with the current generated key, so a retired one's private part is dropped
  // with it: kept, it could only ever serve to forge certificates that verify against its published
  // public key. (A configured key's private part is never stored; its file can make it current again.)
  const retired = await trx
    .updateTable('certification_signing_key')
    .set({ retired_at: sql<Date>`now()`, private_jwk: null })
    .where('kid', '<>', key.kid)
    .where('retired_at', 'is', null)
    .returning('kid')
    .execute();
  if (!known) {
    await appendAuditEvent(trx, {
      actor: SYSTEM_ACTOR,
      action: 'signing-key.registered',
      subject: `signing-key:${key.kid}`,
      payload: { kid: key.kid, alg: key.alg, origin: key.origin, publicJwk: key.publicJwk },
    });
  } else if (known.retired_at !== null) {
    await appendAuditEvent(trx, {
      actor: SYSTEM_ACTOR,
      action: 'signing-key.reinstated',
      subject: `signing-key:${key.kid}`,
      // The keys it replaces follow as `signing-key.retired` events naming it as their successor.
      payload: { kid: key.kid, retiredAt: known.retired_at.toISOString() },
    });
  }
  for (const { kid } of retired) {
    await appendAuditEvent(trx, {
      actor: SYSTEM_ACTOR,
      action: 'signing-key.retired',
      subject: `signing-key:${kid}`,
      payload: { kid, successor: key.kid },
    });
  }
}

/**
 * Loads the key that signs certificates. A configured key is registered (public part only) and becomes
 * the current one; in demo mode the stored generated key is reused, or one is generated on first start.
 * Throws when production mode has no key. Never logs key material.
 */
export async function loadCertificateSigner(
  db: Kysely<Database>,
  source: SigningKeySource,
  issuer: string,
): Promise<CertificateSigner> {
  if (source.kind === 'missing') {
    throw new Error(
      `Production mode needs a certificate signing key: set ${SIGNING_KEY_FILE_VARIABLE} to a file holding an EC P-256 or Ed25519 private key (PEM or JWK). See the README, section Certification.`,
    );
  }
  if (source.kind === 'file') {
    const pair = await keyPair(readKeyFile(source.path));
    await db.transaction().execute(async (trx) => {
      await sql`lock table certification_signing_key in share row exclusive mode`.execute(trx);
      await makeCurrent(trx, { ...pair, privateJwk: null, origin: 'CONFIGURED' });
    });
    return signer(pair.kid, pair.alg, pair.privateJwk, issuer);
  }
  const stored = await db.transaction().execute(async (trx) => {
    await sql`lock table certification_signing_key in share row exclusive mode`.execute(trx);
    const existing = await trx
      .selectFrom('certification_signing_key')
      .select(['kid', 'alg', 'public_jwk', 'private_jwk'])
      .where('origin', '=', 'GENERATED')
      .where('retired_at', 'is', null)
      .where('private_jwk', 'is not', null)
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
    if (existing?.private_jwk) {
      await makeCurrent(trx, {
        kid: existing.kid,
        alg: existing.alg as CertificateAlgorithm,
        publicJwk: existing.public_jwk as JWK,
        privateJwk: null,
        origin: 'GENERATED',
      });
      return {
        kid: existing.kid,
        alg: existing.alg as CertificateAlgorithm,
        privateJwk: existing.private_jwk as JWK,
      };
    }
    const pair = await keyPair(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
    await makeCurrent(trx, { ...pair, origin: 'GENERATED' });
    return pair;
  });
  return signer(stored.kid, stored.alg, stored.privateJwk, issuer);
}

/** Every public key that ever signed a certificate, current first: the JWKS at /.well-known/jwks.json. */
export async function publishedKeys(db: Kysely<Database>): Promise<JSONWebKeySet> {
  const rows = await db
    .selectFrom('certification_signing_key')
    .select(['kid', 'alg', 'public_jwk'])
    .orderBy(sql`retired_at is null`, 'desc')
    .orderBy('created_at', 'desc')
    .execute();
  return {
    keys: rows.map((row) => ({ ...(row.public_jwk as JWK), kid: row.kid, alg: row.alg, use: 'sig' })),
  };
}
