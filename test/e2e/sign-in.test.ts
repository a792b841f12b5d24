// `npm start` and `npm run token` as a person runs them: demo mode starts the development identity
// provider and trusts it; production mode (OIDC_ISSUER set) never starts it and refuses the development
// header; `npm run register-organisation` gives production its first coordinator.
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.ts';
import { startTestIdentityProvider } from '../helpers/identity-provider.ts';
import { makeListing } from '../helpers/listings.ts';

const root = new URL('../../', import.meta.url).pathname;
const workDir = mkdtempSync(join(tmpdir(), 'vc-sign-in-'));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(workDir, { recursive: true, force: true });
});

function run(script: string, args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: root,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, exited, output: () => stdout + stderr, stdout: () => stdout };
}

/** Runs a command to its end; resolves to its stdout, rejects with its output when it fails. */
async function runToEnd(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const process = run(script, args, env);
  const code = await process.exited;
  if (code !== 0) throw new Error(`${script} ${args.join(' ')} exited with ${code}:\n${process.output()}`);
  return process.stdout().trim();
}

/** Starts `npm start`; resolves once its log shows `ready` (by default the GraphQL URL line). */
async function startGateway(env: NodeJS.ProcessEnv, ready?: RegExp): Promise<GatewayProcess> {
  const gateway = await startGatewayProcess({
    env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', ...env },
    ready,
    timeoutMs: 90_000,
  });
  children.push(gateway.child);
  return gateway;
}

async function graphql(url: string, query: string, variables: unknown, headers: Record<string, string>) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, ...((await response.json()) as { data?: any; errors?: any[] }) };
}

const PUBLISH = 'mutation ($l: JSON!) { publishService(listing: $l) { service { id } } }';

describe('sign-in, end to end', () => {
  it(
    'demo mode: npm start runs the development identity provider, npm run token signs in through it',
    { timeout: 180_000 },
    async () => {
      const gateway = await startGateway({ DATA_DIR: join(workDir, 'demo') }, /npm run -s token .*\n/);
      const issuer = /Development identity provider: (http:\/\/127\.0\.0\.1:\d+)/.exec(gateway.output())?.[1];
      expect(issuer).toBeDefined();
      expect(gateway.output()).toContain(`npm run -s token -- provider@dataport --issuer ${issuer}`);

      const token = await runToEnd('services/identity-provider/token-cli.ts', [
        'provider@dataport',
        '--issuer',
        issuer!,
      ]);
      const published = await graphql(
        gateway.url,
        PUBLISH,
        { l: makeListing({ id: 'e2e-anmeldung' }) },
        {
          authorization: `Bearer ${token}`,
        },
      );
      expect(published.errors).toBeUndefined();
      expect(published.data.publishService.service.id).toBe('dataport/e2e-anmeldung');

      // The development header keeps working in demo mode.
      const me = await graphql(
        gateway.url,
        '{ me { subject } }',
        {},
        { 'x-dev-principal': 'authority@stadt-kiel' },
      );
      expect(me.data.me.subject).toBe('dev:authority@stadt-kiel');
      await gateway.stop();
    },
  );

  it(
    'production mode: no development identity provider, no development header; the first coordinator registers the rest',
    { timeout: 180_000 },
    async () => {
      const idp = await startTestIdentityProvider();
      try {
        const keyFile = join(workDir, 'certificate-key.pem');
        const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
        writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
        const env = {
          DATA_DIR: join(workDir, 'production'),
          OIDC_ISSUER: idp.issuer,
          CERTIFICATE_SIGNING_KEY_FILE: keyFile,
        };
        await runToEnd(
          'scripts/register-organisation.ts',
          [
            '--id',
            'koordinierungsstelle',
            '--kind',
            'COORDINATOR',
            '--name',
            'Koordinierungsstelle',
            '--land',
            'DE',
          ],
          env,
        );
        const gateway = await startGateway(env);
        expect(gateway.output()).toContain('starting in production mode');
        expect(gateway.output()).not.toMatch(/development identity provider|DEMO MODE|oidc-provider/i);

        const refused = await graphql(
          gateway.url,
          '{ services { totalCount } }',
          {},
          {
            'x-dev-principal': 'coordinator@koordinierungsstelle',
          },
        );
        expect(refused.status).toBe(401);
        expect(refused.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
        expect(
          (await graphql(gateway.url, '{ services { totalCount } }', {}, {})).data.services.totalCount,
        ).toBe(0);

        const issuerArgs = ['--issuer', idp.issuer];
        const coordinator = await runToEnd('services/identity-provider/token-cli.ts', [
          'coordinator@koordinierungsstelle',
          ...issuerArgs,
        ]);
        const registered = await graphql(
          gateway.url,
          'mutation ($i: RegisterOrganisationInput!) { registerOrganisation(input: $i) { id } }',
          { i: { id: 'dataport', kind: 'PROVIDER', name: 'Dataport AöR', land: 'DE-SH' } },
          { authorization: `Bearer ${coordinator}` },
        );
        expect(registered.errors).toBeUndefined();
        const machine = await runToEnd('services/identity-provider/token-cli.ts', [
          'machine@dataport',
          ...issuerArgs,
        ]);
        const published = await graphql(
          gateway.url,
          PUBLISH,
          { l: makeListing({ id: 'e2e-produktion' }) },
          {
            authorization: `Bearer ${machine}`,
          },
        );
        expect(published.errors).toBeUndefined();
        expect(published.data.publishService.service.id).toBe('dataport/e2e-produktion');
        await gateway.stop();
      } finally {
        await idp.close();
      }
    },
  );
});
