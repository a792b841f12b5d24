// The development identity provider: a real OpenID Connect provider (oidc-provider) with the demo
// accounts, on loopback only, with keys made at start and kept in memory. Never for real users.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider, {
  errors,
  type Configuration,
  type KoaContextWithOIDC,
  type ResourceServer,
} from 'oidc-provider';
import {
  demoAccounts,
  demoMachineClients,
  type DemoAccount,
  type DemoMachineClient,
} from './demo-accounts.ts';
import { requestUrl } from '../../gateway/http/request-url.ts';
import { loginPage } from './login-page.ts';

/** The signature algorithms the development identity provider can sign with. */
export type SigningAlgorithm = 'ES256' | 'RS256' | 'PS256' | 'EdDSA';

/** The public client for browsers: authorization code with PKCE, no secret. */
export const BROWSER_CLIENT_ID = 'catalogue-web';
/** Where browsers are sent back; the token script catches the redirect instead of listening. */
export const BROWSER_REDIRECT_URIS = ['http://127.0.0.1:5173/callback', 'http://localhost:5173/callback'];
/** The scope of the catalogue API (the resource server's only scope). */
export const CATALOGUE_SCOPE = 'catalogue';
// The resource indicator (RFC 8707) under which the catalogue is known here; tokens for it carry the
// configured audience. Clients need not send it: it is the default resource.
const CATALOGUE_RESOURCE = 'urn:verwaltungscloud:catalogue';
const OIDC_SCOPES = ['openid', 'profile'];

export interface IdentityProviderOptions {
  /** Port on 127.0.0.1. Default 0: any free port. */
  port?: number;
  /** The `aud` of the access tokens: the gateway's OIDC_AUDIENCE. */
  audience: string;
  /** Dotted path the roles are written to (the gateway's OIDC_ROLES_CLAIM). Default `roles`. */
  rolesClaim?: string;
  /** Dotted path the organisation id is written to (the gateway's OIDC_ORG_CLAIM). Default `org`. */
  organisationClaim?: string;
  /** Signature algorithm of tokens and keys. Default ES256. */
  algorithm?: SigningAlgorithm;
  /** People who can sign in. Default: one per demo organisation (demoAccounts()). */
  accounts?: DemoAccount[];
  /** Client credentials clients. Default: one per demo provider (demoMachineClients()). */
  machineClients?: DemoMachineClient[];
  /** Lifetime of access tokens, in seconds. Default 3600. */
  accessTokenTtlSeconds?: number;
}

/** A signing key of the identity provider, private part included (development only). */
export interface SigningKey {
  kid: string;
  alg: SigningAlgorithm;
  privateJwk: JWK;
  publicJwk: JWK;
}

export interface IdentityProvider {
  /** The issuer identifier, `http://127.0.0.1:<port>`. */
  readonly issuer: string;
  readonly accounts: readonly DemoAccount[];
  readonly machineClients: readonly DemoMachineClient[];
  /** The key tokens are signed with now. Tests use it to forge tokens the real issuer could have made. */
  currentSigningKey(): SigningKey;
  /** Starts signing with a new key; earlier keys stay published so issued tokens stay valid. */
  rotateSigningKey(): Promise<SigningKey>;
  /** Stops publishing every key but the current one: tokens signed with them no longer verify. */
  retireOldKeys(): void;
  close(): Promise<void>;
}

async function newSigningKey(alg: SigningAlgorithm): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return {
    kid,
    alg,
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' },
    publicJwk: { ...publicJwk, kid, alg, use: 'sig' },
  };
}

/** Writes `value` at a dotted path: `realm_access.roles` → `{ realm_access: { roles: value } }`. */
function claimAt(path: string, value: unknown): Record<string, unknown> {
  return path
    .split('.')
    .reduceRight<Record<string, unknown>>((inner, part) => ({ [part]: inner }), value as never) as Record<
    string,
    unknown
  >;
}

function mergeClaims(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const merged = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const existing = merged[key];
    merged[key] =
      typeof existing === 'object' && existing !== null && typeof value === 'object' && value !== null
        ? mergeClaims(existing as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  return merged;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let text = '';
  for await (const chunk of req) {
    text += chunk;
    if (text.length > 10_000) throw new Error('form too large');
  }
  return new URLSearchParams(text);
}

/**
 * Starts the development identity provider on 127.0.0.1. It issues JWT access tokens for `audience`
 * (oidc-provider's default would be opaque tokens the gateway cannot verify) carrying the roles and
 * organisation at the configured claim paths; people sign in by choosing a demo account (no passwords:
 * development only), machines use client credentials.
 */
export async function startIdentityProvider(options: IdentityProviderOptions): Promise<IdentityProvider> {
  const alg = options.algorithm ?? 'ES256';
  const accounts = options.accounts ?? demoAccounts();
  const machineClients = options.machineClients ?? demoMachineClients();
  const rolesClaim = options.rolesClaim ?? 'roles';
  const organisationClaim = options.organisationClaim ?? 'org';
  const ttl = options.accessTokenTtlSeconds ?? 3600;
  const accountsById = new Map(accounts.map((a) => [a.id, a]));
  const machinesById = new Map(machineClients.map((m) => [m.clientId, m]));
  // Cookie keys survive key rotation, so that sessions do too.
  const cookieKeys = [randomBytes(32).toString('base64url')];
  let keys: SigningKey[] = [await newSigningKey(alg)];

  function catalogueClaims(subject: string | undefined): Record<string, unknown> | undefined {
    const who = (subject && accountsById.get(subject)) || (subject && machinesById.get(subject));
    if (!who) return undefined;
    return mergeClaims(claimAt(rolesClaim, who.roles), claimAt(organisationClaim, who.organisationId));
  }

  const resourceServer: ResourceServer = {
    scope: CATALOGUE_SCOPE,
    audience: options.audience,
    accessTokenTTL: ttl,
    accessTokenFormat: 'jwt',
    jwt: { sign: { alg } },
  };

  function configuration(): Configuration {
    return {
      clients: [
        {
          client_id: BROWSER_CLIENT_ID,
          token_endpoint_auth_method: 'none',
          grant_types: ['authorization_code'],
          response_types: ['code'],
          redirect_uris: BROWSER_REDIRECT_URIS,
          id_token_signed_response_alg: alg,
        },
        ...machineClients.map((machine) => ({
          client_id: machine.clientId,
          client_secret: machine.clientSecret,
          grant_types: ['client_credentials'],
          response_types: [],
          redirect_uris: [],
        })),
      ],
      jwks: { keys: keys.map((k) => k.privateJwk) },
      cookies: { keys: cookieKeys },
      clientDefaults: { id_token_signed_response_alg: alg },
      scopes: OIDC_SCOPES,
      claims: { openid: ['sub'], profile: ['name'] },
      pkce: { required: () => true },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => CATALOGUE_RESOURCE,
          // An authorization code granted for the catalogue gives a catalogue token without `resource`.
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx, indicator) => {
            if (indicator !== CATALOGUE_RESOURCE) throw new errors.InvalidTarget();
            return resourceServer;
          },
        },
      },
      ttl: {
        AccessToken: ttl,
        ClientCredentials: ttl,
        IdToken: 3600,
        AuthorizationCode: 60,
        Interaction: 600,
        Session: 3600,
        Grant: 3600,
      },
      findAccount: (_ctx, sub) => {
        const account = accountsById.get(sub);
        if (!account) return undefined;
        return { accountId: sub, claims: () => ({ sub, name: account.name }) };
      },
      extraTokenClaims: (_ctx, token) =>
        catalogueClaims('accountId' in token && token.accountId ? token.accountId : token.clientId),
      // First-party clients only: what they ask for is granted without a consent screen.
      loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
        const { oidc } = ctx;
        const existingId = oidc.result?.consent?.grantId ?? oidc.session!.grantIdFor(oidc.client!.clientId);
        const grant =
          (existingId ? await oidc.provider.Grant.find(existingId) : undefined) ??
          new oidc.provider.Grant({ clientId: oidc.client!.clientId, accountId: oidc.session!.accountId! });
        grant.addOIDCScope([...oidc.requestParamScopes].filter((s) => OIDC_SCOPES.includes(s)).join(' '));
        for (const indicator of Object.keys(oidc.resourceServers ?? {})) {
          grant.addResourceScope(indicator, CATALOGUE_SCOPE);
        }
        await grant.save();
        return grant;
      },
      interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
      renderError: (ctx, out) => {
        ctx.type = 'json';
        ctx.body = out;
      },
    };
  }

  let provider: Provider | undefined;
  let handleProvider: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  let issuer = '';
  function build(): void {
    const next = new Provider(issuer, configuration());
    next.on('server_error', (_ctx, error) => console.error('development identity provider:', error));
    provider = next;
    handleProvider = next.callback();
  }

  async function interaction(
    req: IncomingMessage,
    res: ServerResponse,
    uid: string,
    action: string | undefined,
  ) {
    const current = provider!;
    const details = await current.interactionDetails(req, res);
    if (details.uid !== uid) throw new errors.InvalidRequest('interaction mismatch');
    if (details.prompt.name !== 'login') {
      // Consent is granted by loadExistingGrant; nothing else is ever asked.
      return current.interactionFinished(req, res, {}, { mergeWithLastSubmission: true });
    }
    if (req.method === 'POST' && action === 'login') {
      const accountId = (await readForm(req)).get('account') ?? '';
      if (!accountsById.has(accountId)) {
        res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' });
        return res.end(loginPage(uid, accounts, `There is no demo account "${accountId}".`));
      }
      return current.interactionFinished(
        req,
        res,
        { login: { accountId } },
        { mergeWithLastSubmission: false },
      );
    }
    if (req.method === 'POST' && action === 'abort') {
      return current.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'The sign-in was cancelled.' },
        { mergeWithLastSubmission: false },
      );
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(loginPage(uid, accounts));
  }

  const server = createServer((req, res) => {
    const url = requestUrl(req);
    if (!url) {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
      return void res.end('The request target is not a URL.');
    }
    const path = url.pathname;
    const match = /^\/interaction\/([\w-]+)(?:\/(login|abort))?$/.exec(path);
    if (!match) return handleProvider!(req, res);
    interaction(req, res, match[1]!, match[2]).catch((error: unknown) => {
      if (!res.headersSent) {
        res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(
          `The sign-in cannot continue: ${(error as Error).message}. Start again from the application.`,
        );
      } else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  build();

  return {
    issuer,
    accounts,
    machineClients,
    currentSigningKey: () => keys[0]!,
    rotateSigningKey: async () => {
      keys = [await newSigningKey(alg), ...keys];
      build();
      return keys[0]!;
    },
    retireOldKeys: () => {
      keys = [keys[0]!];
      build();
    },
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
