import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
  type JSONWebKeySet,
  type JWK,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CERTIFICATE_TYP } from '../../certification/certificate-claims.ts';
import { issueCertificate } from '../../certification/issue-certificate.ts';
import { recordCheck as recordCheckDirectly } from '../../certification/record-check.ts';
import { loadCertificateSigner } from '../../certification/signing-keys.ts';
import { verifyCertificateJws } from '../../certification/verify-certificate.ts';
import { configFromEnv } from '../../gateway/config.ts';
import { createServer } from '../../gateway/create-server.ts';
import { COORDINATOR, criteriaOf, evidenceFor, issue, passAll, REVOKE } from '../helpers/certification.ts';
import { makeListing, publishAll, registerOrganisation } from '../helpers/listings.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.ts';
import { startTestServer, testConfig, type TestServer } from '../helpers/test-server.ts';

const VERIFY = `
  query Verify($jws: String!) {
    verifyCertificate(jws: $jws) {
      valid signatureValid problem message keyId claims
      certificate { id status }
    }
  }`;
const DAY = 86_400_000;
const dir = mkdtempSync(join(tmpdir(), 'vc-keys-'));

let t: TestServer;

async function prepare(server: TestServer, ids: string[]): Promise<void> {
  await registerOrganisation(server.db, 'koordinierungsstelle', 'COORDINATOR', 'DE');
  await registerOrganisation(server.db, 'suedwerk', 'PROVIDER', 'DE-BY');
  await publishAll(
    server.db,
    'suedwerk',
    ids.map((id) => makeListing({ id })),
  );
}

async function certify(server: TestServer, serviceId: string): Promise<any> {
  await passAll(server, serviceId, 'dvs-basis');
  return issue(server, serviceId, 'dvs-basis');
}

async function jwks(server: TestServer): Promise<JSONWebKeySet> {
  const response = await fetch(`${server.url}/.well-known/jwks.json`);
  expect(response.status).toBe(200);
  return (await response.json()) as JSONWebKeySet;
}

async function verify(server: TestServer, jws: string) {
  const response = await server.graphql(VERIFY, { jws });
  expect(response.errors).toBeUndefined();
  return response.data!.verifyCertificate;
}

/** Replaces the payload of a compact JWS and keeps its header and signature. */
function withPayload(jws: string, change: (claims: any) => void): string {
  const [header, payload, signature] = jws.split('.');
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'));
  change(claims);
  return [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
}

function writeKey(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

beforeAll(async () => {
  t = await startTestServer();
  await prepare(t, ['portal', 'veraendert', 'widerruf', 'abgelaufen']);
});

afterAll(async () => {
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a certificate', () => {
  it('verifies with jose against the JWKS the gateway serves, and names what was certified', async () => {
    const certificate = await certify(t, 'suedwerk/portal');
    const { payload, protectedHeader } = await jwtVerify(
      certificate.jws,
      createRemoteJWKSet(new URL(`${t.url}/.well-known/jwks.json`)),
      { typ: CERTIFICATE_TYP, issuer: 'urn:de:verwaltungscloud:koordinierungsstelle' },
    );
    expect(protectedHeader).toEqual({ alg: 'ES256', kid: certificate.keyId, typ: CERTIFICATE_TYP });
    expect(payload).toMatchObject({
      sub: 'suedwerk/portal',
      jti: certificate.id,
      service: {
        id: 'suedwerk/portal',
        provider: 'suedwerk',
        revision: 1,
        contentHash: certificate.contentHash,
      },
      profile: { id: 'dvs-basis', version: 1 },
      issuedBy: 'koordinierungsstelle',
    });
    expect(payload.exp! * 1000).toBe(new Date(certificate.expiresAt).getTime());
    expect(payload.iat).toBe(Math.floor(new Date(certificate.issuedAt).getTime() / 1000));
    const checks = payload.checks as any[];
    expect(checks.map((c) => c.criterion)).toEqual(criteriaOf('dvs-basis'));
    for (const check of checks) {
      expect(check).toMatchObject({
        criterionVersion: 1,
        outcome: 'PASSED',
        evidenceSha256: evidenceFor('suedwerk/portal', check.criterion).evidenceSha256,
      });
      expect(new Date(check.validUntil).getTime()).toBeGreaterThanOrEqual(payload.exp! * 1000);
    }
    expect(await verify(t, certificate.jws)).toMatchObject({
      valid: true,
      signatureValid: true,
      problem: null,
      keyId: certificate.keyId,
      certificate: { id: certificate.id, status: 'CERTIFIED' },
    });
    // Pasted from a terminal or read from a .jws file, the token comes with a newline or spaces: it
    // is the same certificate (the catalogue compared the untrimmed text with the token it issued,
    // and called its own certificate UNKNOWN_CERTIFICATE).
    for (const text of [`${certificate.jws}\n`, ` ${certificate.jws} `]) {
      expect(await verify(t, text), JSON.stringify(text.slice(-3))).toMatchObject({
        valid: true,
        problem: null,
        certificate: { id: certificate.id },
      });
    }
  });

  it('is published without any private key part', async () => {
    const set = await jwks(t);
    expect(set.keys).toHaveLength(1);
    expect(set.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(set.keys[0]).not.toHaveProperty('d');
    const post = await fetch(`${t.url}/.well-known/jwks.json`, { method: 'POST' });
    expect(post.status).toBe(405);
  });

  it('is rejected when tampered with', async () => {
    const certificate = await certify(t, 'suedwerk/veraendert');
    const keys = createLocalJWKSet(await jwks(t));
    const forged = withPayload(certificate.jws, (claims) => (claims.profile.id = 'dvs-hoch'));
    await expect(jwtVerify(forged, keys)).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
    expect(await verify(t, forged)).toMatchObject({
      valid: false,
      signatureValid: false,
      problem: 'BAD_SIGNATURE',
      claims: null,
      certificate: null,
    });
    const later = withPayload(certificate.jws, (claims) => (claims.exp += 365 * 86_400));
    expect((await verify(t, later)).problem).toBe('BAD_SIGNATURE');

    // Signed by a key the catalogue never published.
    const { privateKey } = await generateKeyPair('ES256');
    const foreign = await new SignJWT({ ...decodePayload(certificate.jws) })
      .setProtectedHeader({ alg: 'ES256', kid: 'fremder-schluessel', typ: CERTIFICATE_TYP })
      .sign(privateKey);
    expect(await verify(t, foreign)).toMatchObject({ valid: false, problem: 'UNKNOWN_KEY' });
    expect(await verify(t, 'kein.jws')).toMatchObject({ valid: false, problem: 'MALFORMED' });
    const tooLong = await t.graphql(VERIFY, { jws: 'a'.repeat(40_000) });
    expect(tooLong.errors![0]!.extensions.code).toBe('BAD_USER_INPUT');
  });

  it('is genuine but no longer valid when the listing changed, it was revoked or it expired', async () => {
    const changed = await certify(t, 'suedwerk/veraendert');
    await publishAll(t.db, 'suedwerk', [
      makeListing({ id: 'veraendert', summary: 'Eine neue Zusammenfassung.' }),
    ]);
    expect(await verify(t, changed.jws)).toMatchObject({
      valid: false,
      signatureValid: true,
      problem: 'LISTING_CHANGED',
      certificate: { id: changed.id, status: 'RECERTIFICATION_REQUIRED' },
    });

    const revoked = await certify(t, 'suedwerk/widerruf');
    await t.graphql(REVOKE, { id: revoked.id, reason: 'Nachweis gefälscht.' }, { as: COORDINATOR });
    const result = await verify(t, revoked.jws);
    expect(result).toMatchObject({ valid: false, signatureValid: true, problem: 'REVOKED' });
    expect(result.message).toContain('Nachweis gefälscht.');
    expect(result.claims.jti).toBe(revoked.id);

    const signer = await loadCertificateSigner(t.db, { kind: 'generate' }, t.server.config.certificateIssuer);
    const actor = { subject: 'test', organisation: 'koordinierungsstelle' };
    const then = new Date(Date.now() - 400 * DAY);
    for (const criterion of criteriaOf('dvs-basis')) {
      await recordCheckDirectly(
        t.db,
        {
          serviceId: 'suedwerk/abgelaufen',
          criterionId: criterion,
          outcome: 'PASSED',
          ...evidenceFor('x', criterion),
          actor,
        },
        { now: then },
      );
    }
    const expired = await issueCertificate(
      t.db,
      signer,
      { serviceId: 'suedwerk/abgelaufen', profileId: 'dvs-basis', actor },
      { now: then },
    );
    await expect(jwtVerify(expired.jws, createLocalJWKSet(await jwks(t)))).rejects.toBeInstanceOf(
      errors.JWTExpired,
    );
    expect(await verify(t, expired.jws)).toMatchObject({
      valid: false,
      signatureValid: true,
      problem: 'EXPIRED',
      certificate: { id: expired.id, status: 'EXPIRED' },
    });

    // Revoked (for forged evidence, say) and expired since: the revocation is what its reader must
    // learn, not that it ran out.
    await t.graphql(REVOKE, { id: expired.id, reason: 'Nachweis gefälscht.' }, { as: COORDINATOR });
    const both = await verify(t, expired.jws);
    expect(both).toMatchObject({ valid: false, signatureValid: true, problem: 'REVOKED' });
    expect(both.message).toContain('Nachweis gefälscht.');
  });
});

function decodePayload(jws: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString('utf8'));
}

describe('signing keys', () => {
  // One more database, for gateways that start and stop on it in turn (the tests build on each other).
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database?.close());

  it('are generated once in demo mode and reused on the next start', async () => {
    const first = await startTestServer({ database });
    const kid = (await jwks(first)).keys[0]!.kid;
    await first.close();
    const second = await startTestServer({ database });
    const set = await jwks(second);
    await second.close();
    expect(set.keys.map((k) => k.kid)).toEqual([kid]);
    const stored = await database.db
      .selectFrom('certification_signing_key')
      .select(['origin', 'private_jwk'])
      .execute();
    expect(stored).toEqual([
      { origin: 'GENERATED', private_jwk: expect.objectContaining({ d: expect.any(String) }) },
    ]);
  });

  it('keep old certificates verifiable after a rotation; new ones carry the new kid', async () => {
    const ecKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const edKey = generateKeyPairSync('ed25519').privateKey;
    const pemFile = writeKey('alt.pem', ecKey.export({ format: 'pem', type: 'pkcs8' }) as string);
    const jwkFile = writeKey('neu.jwk.json', JSON.stringify(edKey.export({ format: 'jwk' })));

    const before = await startTestServer({
      database,
      config: { certificateSigningKey: { kind: 'file', path: pemFile } },
    });
    await prepare(before, ['rotation-alt', 'rotation-neu']);
    const old = await certify(before, 'suedwerk/rotation-alt');
    await before.close();

    const after = await startTestServer({
      database,
      config: { certificateSigningKey: { kind: 'file', path: jwkFile } },
    });
    try {
      const fresh = await certify(after, 'suedwerk/rotation-neu');
      const { d: _private, ...edPublic } = edKey.export({ format: 'jwk' }) as JWK;
      expect(fresh.keyId).toBe(await calculateJwkThumbprint(edPublic));
      expect(fresh.keyId).not.toBe(old.keyId);
      expect(decodeProtectedHeader(fresh.jws)).toMatchObject({ alg: 'EdDSA', kid: fresh.keyId });
      expect(decodeProtectedHeader(old.jws)).toMatchObject({ alg: 'ES256', kid: old.keyId });

      // The current key first; every earlier one (also the demo key of the previous test) stays published.
      const set = await jwks(after);
      expect(set.keys[0]!.kid).toBe(fresh.keyId);
      expect(set.keys.map((k) => k.kid)).toContain(old.keyId);
      const remote = createRemoteJWKSet(new URL(`${after.url}/.well-known/jwks.json`));
      await expect(jwtVerify(old.jws, remote)).resolves.toBeTruthy();
      await expect(jwtVerify(fresh.jws, remote)).resolves.toBeTruthy();
      expect((await verify(after, old.jws)).valid).toBe(true);
      expect((await verify(after, fresh.jws)).valid).toBe(true);
      // A configured key never reaches the database: only its public part is stored.
      const stored = await after.db
        .selectFrom('certification_signing_key')
        .select(['kid', 'origin', 'private_jwk', 'retired_at'])
        .where('origin', '=', 'CONFIGURED')
        .execute();
      expect(stored).toHaveLength(2);
      expect(stored.every((k) => k.private_jwk === null)).toBe(true);
      expect(stored.find((k) => k.kid === old.keyId)!.retired_at).not.toBeNull();
      expect(stored.find((k) => k.kid === fresh.keyId)!.retired_at).toBeNull();
      // The demo key of the previous test was retired with the first configured key: its private part is gone.
      const generated = await after.db
        .selectFrom('certification_signing_key')
        .select(['private_jwk', 'retired_at'])
        .where('origin', '=', 'GENERATED')
        .execute();
      expect(generated).toEqual([{ private_jwk: null, retired_at: expect.any(Date) }]);

      // A token signed by a published key (here the retired one, as if its private part had leaked)
      // that borrows a real certificate's id for other claims is not that certificate.
      const neu = await after.db
        .selectFrom('service')
        .select(['content_hash'])
        .where('id', '=', 'suedwerk/rotation-neu')
        .executeTakeFirstOrThrow();
      const claims = decodePayload(old.jws) as { service: Record<string, unknown> };
      const borrowed = await new SignJWT({
        ...claims,
        sub: 'suedwerk/rotation-neu',
        service: { ...claims.service, id: 'suedwerk/rotation-neu', contentHash: neu.content_hash },
        profile: { id: 'dvs-hoch', version: 1 },
      })
        .setProtectedHeader({ alg: 'ES256', kid: old.keyId, typ: CERTIFICATE_TYP })
        .sign(ecKey);
      const result = await verify(after, borrowed);
      expect(result).toMatchObject({
        valid: false,
        signatureValid: true,
        problem: 'UNKNOWN_CERTIFICATE',
        certificate: null,
      });
      expect(result.message).toContain('another token');
    } finally {
      await after.close();
    }
  });

  it('must be configured in production: the gateway refuses to start without one', async () => {
    const production = configFromEnv({ OIDC_ISSUER: 'https://anmeldung.example', OIDC_AUDIENCE: 'katalog' });
    expect(production.certificateSigningKey).toEqual({ kind: 'missing' });
    expect(
      configFromEnv({
        OIDC_ISSUER: 'https://anmeldung.example',
        CERTIFICATE_SIGNING_KEY_FILE: '/run/secrets/key.pem',
      }).certificateSigningKey,
    ).toEqual({ kind: 'file', path: '/run/secrets/key.pem' });
    expect(configFromEnv({}).certificateSigningKey).toEqual({ kind: 'generate' });

    const start = (path: string | null) =>
      createServer(
        testConfig({ certificateSigningKey: path === null ? { kind: 'missing' } : { kind: 'file', path } }),
        { database },
      );
    await expect(start(null)).rejects.toThrow(/CERTIFICATE_SIGNING_KEY_FILE/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    await expect(
      start(writeKey('rsa.pem', rsa.export({ format: 'pem', type: 'pkcs8' }) as string)),
    ).rejects.toThrow(/EC P-256 \(ES256\) or Ed25519 \(EdDSA\) private key, not rsa/);
    const error = await start(writeKey('kaputt.pem', 'geheimer-inhalt-der-datei')).catch((e: Error) => e);
    expect((error as Error).message).toContain('holds no usable private key');
    expect((error as Error).message).not.toContain('geheimer-inhalt');
    await expect(start(join(dir, 'fehlt.pem'))).rejects.toThrow(/cannot read/);
  });
});

describe('npm run verify-certificate', () => {
  function run(args: string[]): Promise<{ code: number | null; output: string }> {
    return new Promise((resolve) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'certification/bin/verify-certificate.ts', ...args],
        {
          cwd: new URL('../../', import.meta.url).pathname,
          env: { PATH: process.env.PATH },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      child.on('exit', (code) => resolve({ code, output }));
    });
  }

  it('verifies with nothing but the JWKS, from a URL or from files', { timeout: 60_000 }, async () => {
    const certificate = await issue(t, 'suedwerk/portal', 'dvs-basis');
    const url = await run([certificate.jws, '--jwks', `${t.url}/.well-known/jwks.json`]);
    expect(url.output).toContain('VALID certificate');
    expect(url.output).toContain('suedwerk/portal');
    expect(url.output).toContain(`key id:       ${certificate.keyId}`);
    expect(url.code).toBe(0);

    const jwsFile = writeKey('zertifikat.jws', `${certificate.jws}\n`);
    const jwksFile = writeKey('jwks.json', JSON.stringify(await jwks(t)));
    // The catalogue is gone: only the files remain.
    const files = await run([
      jwsFile,
      '--jwks',
      jwksFile,
      '--issuer',
      'urn:de:verwaltungscloud:koordinierungsstelle',
    ]);
    expect(files.code).toBe(0);

    const tampered = await run([
      withPayload(certificate.jws, (c) => (c.sub = 'suedwerk/anders')),
      '--jwks',
      jwksFile,
    ]);
    expect(tampered.output).toContain('NOT VALID (BAD_SIGNATURE)');
    expect(tampered.code).toBe(1);
    const otherIssuer = await run([jwsFile, '--jwks', jwksFile, '--issuer', 'https://anderswo.example']);
    expect(otherIssuer.output).toContain('NOT VALID (WRONG_ISSUER)');
    expect(otherIssuer.code).toBe(1);
    const usage = await run([jwsFile]);
    expect(usage.output).toContain('usage:');
    expect(usage.code).toBe(2);
  });
});

describe('verifyCertificateJws', () => {
  it('refuses a token of another type even when its key is in the set', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const set = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k', alg: 'ES256' }] };
    const token = await new SignJWT({ sub: 'x' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k', typ: 'JWT' })
      .sign(privateKey);
    expect(await verifyCertificateJws(token, set)).toMatchObject({
      valid: false,
      problem: 'NOT_A_CERTIFICATE',
    });
    const claimless = await new SignJWT({ sub: 'x' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k', typ: CERTIFICATE_TYP })
      .setExpirationTime('1h')
      .sign(privateKey);
    expect(await verifyCertificateJws(claimless, set)).toMatchObject({
      valid: false,
      problem: 'NOT_A_CERTIFICATE',
    });
  });
});
