// npm run verify-certificate -- <jws or file> --jwks <url or file> [--issuer <iss>]
// Verifies a certificate with nothing but the issuer's JSON Web Key Set: no database, no catalogue.
// Exit code 0: valid; 1: not valid; 2: the arguments or the key set could not be read.
import { existsSync, readFileSync } from 'node:fs';
import type { JSONWebKeySet } from 'jose';
import { verifyCertificateJws } from '../verify-certificate.ts';

const USAGE = 'usage: npm run verify-certificate -- <jws or file> --jwks <url or file> [--issuer <iss>]';
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

function parseArgs(argv: string[]): { certificate: string; jwks: string; issuer?: string } {
  let certificate: string | undefined;
  let jwks: string | undefined;
  let issuer: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--jwks') jwks = argv[++i];
    else if (arg === '--issuer') issuer = argv[++i];
    else if (arg === '--help' || arg === '-h') fail(USAGE);
    else if (certificate === undefined) certificate = arg;
    else fail(`unexpected argument ${JSON.stringify(arg)}\n${USAGE}`);
  }
  if (!certificate || !jwks) fail(USAGE);
  return { certificate, jwks, ...(issuer ? { issuer } : {}) };
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (error) {
    fail(`cannot read the ${what} file ${path}: ${(error as Error).message}`);
  }
}

async function loadJwks(source: string): Promise<JSONWebKeySet> {
  let text: string;
  if (/^https?:\/\//.test(source)) {
    try {
      const response = await fetch(source, { signal: AbortSignal.timeout(10_000) });
      if (!response.ok) fail(`the key set at ${source} answered HTTP ${response.status}`);
      text = await response.text();
    } catch (error) {
      fail(`cannot fetch the key set from ${source}: ${(error as Error).message}`);
    }
  } else {
    text = readText(source, 'key set');
  }
  try {
    const jwks = JSON.parse(text) as JSONWebKeySet;
    if (!Array.isArray(jwks.keys)) throw new Error('it has no "keys" array');
    return jwks;
  } catch (error) {
    fail(`${source} is not a JSON Web Key Set: ${(error as Error).message}`);
  }
}

const args = parseArgs(process.argv.slice(2));
const jws =
  COMPACT_JWS.test(args.certificate) || !existsSync(args.certificate)
    ? args.certificate
    : readText(args.certificate, 'certificate');
const jwks = await loadJwks(args.jwks);
const result = await verifyCertificateJws(jws, jwks, args.issuer ? { issuer: args.issuer } : {});

if (result.valid) {
  const c = result.claims;
  console.log('VALID certificate');
  console.log(`  issuer:       ${c.iss}`);
  console.log(
    `  service:      ${c.service.id} (provider ${c.service.provider}, revision ${c.service.revision})`,
  );
  console.log(`  content hash: ${c.service.contentHash}`);
  console.log(`  profile:      ${c.profile.id}, version ${c.profile.version}`);
  console.log(`  issued:       ${new Date(c.iat * 1000).toISOString()}`);
  console.log(`  expires:      ${new Date(c.exp * 1000).toISOString()}`);
  console.log(`  key id:       ${result.kid}`);
  for (const check of c.checks) {
    console.log(
      `  check:        ${check.criterion} v${check.criterionVersion} ${check.outcome}, evidence sha256 ${check.evidenceSha256}, valid until ${check.validUntil}`,
    );
  }
  console.log(
    'The signature, type and expiry are valid. Whether it was revoked or the listing changed since, only the catalogue knows: ask its verifyCertificate query.',
  );
  process.exit(0);
} else {
  console.log(`NOT VALID (${result.problem}): ${result.message}`);
  process.exit(1);
}
