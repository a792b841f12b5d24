// `npm run -s token -- <demo account> [--issuer URL] [--client-secret SECRET]`: prints an access token of the development identity
// provider, obtained through a real OIDC flow (see obtain-token.ts). Only the token goes to stdout.
import { parseArgs } from 'node:util';
import { demoAccounts, demoMachineClients } from './demo-accounts.ts';
import { obtainToken } from './obtain-token.ts';

const USAGE = 'usage: npm run -s token -- <demo account> [--issuer URL] [--client-secret SECRET]';
const known = [...demoAccounts().map((a) => a.id), ...demoMachineClients().map((m) => m.clientId)];
function usage(problem?: string): never {
  if (problem) console.error(problem);
  console.error(USAGE);
  console.error(`demo accounts: ${known.join(', ')}`);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      issuer: { type: 'string', default: process.env.DEV_IDP_URL || 'http://127.0.0.1:4001' },
      'client-secret': { type: 'string' },
    },
  });
} catch (error) {
  // An unknown option (--help included): the usage, not a stack trace.
  usage((error as Error).message);
}
const { positionals, values } = parsed;
const account = positionals[0];
if (!account || positionals.length > 1) usage();
try {
  const token = await obtainToken(values.issuer!, account, { clientSecret: values['client-secret'] });
  console.error(`${account}: ${token.flow} at ${values.issuer}, valid for ${token.expiresIn ?? '?'} s`);
  console.log(token.accessToken);
} catch (error) {
  console.error(`No token for ${account} from ${values.issuer}: ${(error as Error).message}`);
  if (!known.includes(account)) console.error(`demo accounts: ${known.join(', ')}`);
  else
    console.error('Is `npm start` running in demo mode? Its log names the identity provider (DEV_IDP_URL).');
  process.exit(1);
}
