// The reference provider node as a process:
//   npm run provider-node -- --dir <folder of listing documents> [--port 4100] [--host 127.0.0.1]
//     [--provider <organisation id>] [--issuer <OIDC issuer> --audience <audience>]
//     [--catalogue-jwks <gateway>/.well-known/jwks.json]
import { parseArgs } from 'node:util';
import { createProviderNode } from './create-provider-node.ts';

const usage =
  'usage: npm run provider-node -- --dir <folder> [--port 4100] [--host 127.0.0.1] [--provider <id>]\n' +
  '         [--issuer <url> --audience <aud>] [--catalogue-jwks <url>]';

let values;
try {
  ({ values } = parseArgs({
    options: {
      dir: { type: 'string' },
      port: { type: 'string', default: process.env.PORT ?? '4100' },
      host: { type: 'string', default: process.env.HOST ?? '127.0.0.1' },
      provider: { type: 'string' },
      issuer: { type: 'string' },
      audience: { type: 'string' },
      'catalogue-jwks': { type: 'string' },
      help: { type: 'boolean' },
    },
  }));
} catch (error) {
  console.error(`${(error as Error).message}\n${usage}`);
  process.exit(2);
}
if (values.help || !values.dir) {
  console.error(usage);
  process.exit(values.help ? 0 : 2);
}
if (Boolean(values.issuer) !== Boolean(values.audience)) {
  console.error(`--issuer and --audience go together\n${usage}`);
  process.exit(2);
}
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be 0 to 65535\n${usage}`);
  process.exit(2);
}

const node = createProviderNode({
  dir: values.dir,
  providerId: values.provider,
  auth: values.issuer ? { issuer: values.issuer, audience: values.audience! } : undefined,
  catalogueJwksUrl: values['catalogue-jwks'],
  onNotification: (n) =>
    console.log(`notification ${n.notificationId}: ${n.type} (signed by ${n.kid ?? '?'})`),
});
const url = await node.listen(port, values.host);
console.log(`provider node: serving ${values.dir} at ${url}`);
console.log(
  values.issuer
    ? `  requests need a client-credentials token of ${values.issuer} for audience ${values.audience}`
    : '  open to every caller (no --issuer)',
);
if (values['catalogue-jwks']) {
  console.log(
    `  notifications: POST ${url.replace(/graphql$/, 'notifications')} (keys: ${values['catalogue-jwks']})`,
  );
}

const stop = async (signal: string) => {
  console.log(`${signal}: provider node stopping`);
  await node.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
