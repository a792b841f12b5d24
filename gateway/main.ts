// Reads the environment, builds the gateway and listens. Everything else is in createServer.
import { configFromEnv } from './config.ts';
import { createServer } from './create-server.ts';
import { describeSemiSpace, describeWasmCompiler, tuneHeapGrowing } from './heap-tuning.ts';
import { formatStartLine } from './start-line.ts';
import type { IdentityProvider } from '../services/identity-provider/identity-provider.ts';

// Signals are heard from the first moment. One that arrives while the gateway starts (opening and
// migrating its database can take a while) stops it once the start is done, closing in order what
// was started; without a handler it would kill the process in the middle of it. A second signal
// ends the process at once.
let stopSignal: string | undefined;
// Set once the gateway has started: how it stops from then on.
let stopStarted: ((signal: string) => void) | undefined = undefined;
const onSignal = (signal: string) => {
  if (stopSignal) {
    // The operator does not want to wait (for the requests in flight, or for the start).
    console.log(`${signal} again: exiting now`);
    process.exit(1);
  }
  stopSignal = signal;
  if (stopStarted) stopStarted(signal);
  else console.log(`${signal} while starting: stopping once the start is done`);
};
process.on('SIGINT', () => onSignal('SIGINT'));
process.on('SIGTERM', () => onSignal('SIGTERM'));

let config = configFromEnv();
// Before anything is allocated: embedded PostgreSQL shares this process's memory.
const heap = [
  tuneHeapGrowing(config.heapGrowingPercent),
  describeSemiSpace(config.heapSemiSpaceMb),
  describeWasmCompiler(config.wasmLiftoff),
]
  .filter((part) => part !== null)
  .join('; ');
const where =
  config.database.kind === 'postgres'
    ? 'PostgreSQL (DATABASE_URL)'
    : `embedded PostgreSQL (PGlite) in ${config.database.dataDir}`;
console.log(formatStartLine(config.mode, where, heap));
if (config.mode === 'demo') {
  console.log('DEMO MODE: no OIDC_ISSUER is set. Demo data is seeded into an empty database and the');
  console.log('development header X-Dev-Principal is accepted. Never run demo mode with real data.');
}

// Demo mode signs people in at the development identity provider; production mode never loads it.
let identityProvider: IdentityProvider | undefined;
if (config.mode === 'demo') {
  const { startIdentityProvider } = await import('../services/identity-provider/identity-provider.ts');
  try {
    identityProvider = await startIdentityProvider({
      port: config.devIdentityProviderPort,
      audience: config.oidc.audience,
      rolesClaim: config.oidc.rolesClaim,
      organisationClaim: config.oidc.organisationClaim,
    });
  } catch (error) {
    throw new Error(
      `The development identity provider cannot listen on 127.0.0.1:${config.devIdentityProviderPort}; set DEV_IDP_PORT to a free port.`,
      { cause: error },
    );
  }
  config = { ...config, oidc: { ...config.oidc, issuers: [identityProvider.issuer] } };
  console.log(
    `Development identity provider: ${identityProvider.issuer} (demo accounts, no passwords; its keys live in memory).`,
  );
}

const server = await createServer(config);
// Demo mode: two providers serve their listings from provider nodes of their own; the gateway harvests them.
const demoProviderNodes = config.seedDemoData
  ? await (
      await import('../services/provider-node/demo/start-demo-provider-nodes.ts')
    ).startDemoProviderNodes(server.database.db)
  : undefined;
for (const node of demoProviderNodes?.nodes ?? []) {
  console.log(
    `Demo provider node of ${node.providerId}: ${node.url} (serving ${node.dir}), harvested by the gateway.`,
  );
}
/** Closes what main started, the gateway first. */
const closeAll = async () => {
  await server.close();
  await demoProviderNodes?.close();
  await identityProvider?.close();
};
if (stopSignal) {
  console.log(`${stopSignal}: shutting down before listening`);
  await closeAll();
  process.exit(0);
}
let url: string;
try {
  url = await server.listen();
} catch (error) {
  const { code } = error as { code?: string };
  console.error(
    `The gateway cannot listen on ${config.host}:${config.port}${code ? ` (${code})` : ''}: ${(error as Error).message}. Set PORT (or HOST) to a free port.`,
  );
  await closeAll();
  process.exit(1);
}
console.log(
  `GraphQL: ${url}/graphql   health: ${url}/healthz   ready: ${url}/readyz   metrics: ${url}/metrics`,
);
if (config.mode === 'demo') {
  console.log('Try:');
  console.log(`  curl -s ${url}/graphql -H 'content-type: application/json' \\`);
  console.log(
    `    -d '{"query":"{ services(search: \\"wohngeld\\", first: 3) { totalCount edges { node { id title provider { name } } } } }"}'`,
  );
}
if (identityProvider) {
  const issuerOption =
    identityProvider.issuer === 'http://127.0.0.1:4001' ? '' : ` --issuer ${identityProvider.issuer}`;
  console.log(
    'Sign in with a demo account (coordinator@koordinierungsstelle, provider@dataport, authority@stadt-kiel,',
  );
  console.log('machine@dataport for client credentials, …; the README lists them all):');
  console.log(`  TOKEN=$(npm run -s token -- provider@dataport${issuerOption})`);
  console.log(
    `  curl -s ${url}/graphql -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" \\`,
  );
  console.log(`    -d '{"query":"{ me { subject roles organisation { name } } }"}'`);
}

stopStarted = (signal) => {
  console.log(`${signal}: shutting down`);
  void closeAll().then(() => process.exit(0));
};
// A signal during the last steps of the start (listening, the messages above).
if (stopSignal) stopStarted(stopSignal);
