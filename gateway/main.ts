// Reads the environment, builds the gateway and listens. Everything else is in createServer.
import { configFromEnv } from './config.ts';
import { createServer } from './create-server.ts';

const config = configFromEnv();
const where =
  config.database.kind === 'postgres'
    ? 'PostgreSQL (DATABASE_URL)'
    : `embedded PostgreSQL (PGlite) in ${config.database.dataDir}`;
console.log(`Verwaltungscloud Catalogue starting in ${config.mode} mode on ${where}.`);
if (config.mode === 'demo') {
  console.log('DEMO MODE: no OIDC_ISSUER is set. Demo data is seeded into an empty database and the');
  console.log('development header X-Dev-Principal is accepted. Never run demo mode with real data.');
}

const server = await createServer(config);
const url = await server.listen();
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

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: shutting down`);
  await server.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
