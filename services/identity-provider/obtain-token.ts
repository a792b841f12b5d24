import * as openid from 'openid-client';
import { BROWSER_CLIENT_ID, BROWSER_REDIRECT_URIS, CATALOGUE_SCOPE } from './identity-provider.ts';
import { demoMachineClients } from './demo-accounts.ts';

export interface ObtainTokenOptions {
  /** Secret of a `machine@<organisation>` client. Default: the demo client's development secret. */
  clientSecret?: string;
}

export interface ObtainedToken {
  accessToken: string;
  /** Seconds until the access token expires. */
  expiresIn: number | undefined;
  /** How the token was obtained. */
  flow: 'authorization_code' | 'client_credentials';
  /** The ID token issued next to the access token in the browser flow (for the browser client). */
  idToken?: string;
}

function discover(issuer: string, clientId: string, metadata?: string, auth?: openid.ClientAuth) {
  const url = new URL(issuer);
  const loopback = ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);
  return openid.discovery(url, clientId, metadata, auth, {
    execute: url.protocol === 'http:' && loopback ? [openid.allowInsecureRequests] : [],
  });
}

/**
 * Gets an access token for a demo account from the development identity provider through a real
 * OpenID Connect flow: client credentials for `machine@<organisation>`, otherwise the authorization
 * code flow with PKCE, whose browser part (redirect, sign-in form, redirect back) is driven over HTTP.
 */
export async function obtainToken(
  issuer: string,
  account: string,
  options: ObtainTokenOptions = {},
): Promise<ObtainedToken> {
  if (account.startsWith('machine@')) {
    const secret =
      options.clientSecret ?? demoMachineClients().find((m) => m.clientId === account)?.clientSecret;
    if (!secret) throw new Error(`no client secret known for ${account}`);
    const config = await discover(issuer, account, secret, openid.ClientSecretBasic(secret));
    const tokens = await openid.clientCredentialsGrant(config, { scope: CATALOGUE_SCOPE });
    return { accessToken: tokens.access_token, expiresIn: tokens.expiresIn(), flow: 'client_credentials' };
  }

  const config = await discover(issuer, BROWSER_CLIENT_ID, undefined, openid.None());
  const redirectUri = BROWSER_REDIRECT_URIS[0]!;
  const verifier = openid.randomPKCECodeVerifier();
  const state = openid.randomState();
  const authorizationUrl = openid.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: `openid ${CATALOGUE_SCOPE}`,
    code_challenge: await openid.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  });
  const browser = new BrowserSession();
  const loginUrl = await browser.expectRedirect(await browser.get(authorizationUrl));
  const page = await browser.get(loginUrl);
  if (page.status !== 200) throw new Error(`the sign-in page answered ${page.status}`);
  const form = new URL(`${loginUrl.pathname}/login`, loginUrl);
  const signedIn = await browser.post(form, new URLSearchParams({ account }));
  if (signedIn.status === 400) throw new Error(`the identity provider has no account "${account}"`);
  let next = await browser.expectRedirect(signedIn);
  // Back at the authorization endpoint; it redirects to the client with the code.
  while (!next.href.startsWith(redirectUri)) {
    next = await browser.expectRedirect(await browser.get(next));
  }
  const tokens = await openid.authorizationCodeGrant(config, next, {
    pkceCodeVerifier: verifier,
    expectedState: state,
  });
  return {
    accessToken: tokens.access_token,
    expiresIn: tokens.expiresIn(),
    flow: 'authorization_code',
    ...(tokens.id_token !== undefined && { idToken: tokens.id_token }),
  };
}

/** Just enough of a browser for the sign-in: cookies and redirects that are read, not followed. */
class BrowserSession {
  private readonly cookies = new Map<string, string>();
  private hops = 0;

  get(url: URL): Promise<Response> {
    return this.send(url, { method: 'GET' });
  }

  post(url: URL, form: URLSearchParams): Promise<Response> {
    return this.send(url, { method: 'POST', body: form });
  }

  async expectRedirect(response: Response): Promise<URL> {
    const location = response.headers.get('location');
    if (response.status < 300 || response.status > 399 || !location) {
      const body = await response.text();
      throw new Error(
        `expected a redirect from ${response.url}, got ${response.status}: ${body.slice(0, 500)}`,
      );
    }
    return new URL(location, response.url);
  }

  private async send(url: URL, init: RequestInit): Promise<Response> {
    if (++this.hops > 10) throw new Error('too many steps in the sign-in');
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(url, { ...init, redirect: 'manual', headers: cookie ? { cookie } : {} });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const separator = pair.indexOf('=');
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }
}
