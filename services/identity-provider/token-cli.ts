// `npm run -s token -- <demo account> [--issuer URL]`: prints an access token of the development identity
// provider, obtained through a real OIDC flow (see obtain-token.ts). Only the token goes to stdout.
import { parseArgs } from 'node:util';
import { demoAccounts, demoMachineClients } from './demo-accounts.ts';
import { obtainToken } from './obtain-token.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    issuer: { type: 'string', default: process.env.DEV_IDP_URL || 'http://127.0.0.1:4001' },
    'client-secret': { type: 'string' },
  },
});
const account = positionals[0];
const known = [...demoAccounts().map((a) => a.id), ...demoMachineClients().map((m) => m.clientId)];
if (!account || positionals.length > 1) {
  console.error('usage: npm run -s token -- <demo account> [--issuer URL]');
  console.error(`demo accounts: ${known.join(', ')}`);
  process.exit(2);
}
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
