import { mkdtempSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import * as openid from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentHash } from '../../catalog-schema/canonical-json.ts';
import {
  NOTIFICATION_SIGNATURE_HEADER,
  signNotification,
} from '../../catalog-schema/notification-signature.ts';
import { issuerSignedToken } from '../../test/helpers/identity-provider.ts';
import { makeListing } from '../../test/helpers/listings.ts';
import { downUrl } from '../../test/helpers/provider-nodes.ts';
import { rawRequest, UNPARSABLE_TARGET } from '../../test/helpers/raw-http.ts';
import { startIdentityProvider, type IdentityProvider } from '../identity-provider/identity-provider.ts';
import { createProviderNode, type ProviderNode, type ReceivedNotification } from './create-provider-node.ts';

const dirs: string[] = [];
const closers: (() => Promise<unknown>)[] = [];

afterAll(async () => {
  for (const close of closers.reverse()) await close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'vc-node-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

async function start(node: ProviderNode): Promise<string> {
  const url = await node.listen(0, '127.0.0.1');
  closers.push(() => node.close());
  return url;
}

async function query(url: string, text: string, variables: Record<string, unknown> = {}, token?: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: text, variables }),
  });
  return { status: response.status, ...((await response.json()) as { data?: any; errors?: any[] }) };
}

const LISTINGS = `query ($since: DateTime, $first: Int, $after: String) {
  listings(updatedSince: $since, first: $first, after: $after) {
    asOf totalCount nodes { id updatedAt contentHash document } pageInfo { hasNextPage endCursor }
  }
}`;

/** A file's `updatedAt` at the node: the later of its modification and change time, to the millisecond. */
function changedAt(dir: string, file: string): string {
  const stat = statSync(join(dir, file));
  return new Date(Math.floor(Math.max(stat.mtimeMs, stat.ctimeMs))).toISOString();
}

describe('serving a folder of listing documents', () => {
  let dir: string;
  let url: string;

  beforeAll(async () => {
    const yaml = makeListing({ id: 'gewerbe', title: 'Gewerbeanmeldung' });
    // Written one after the other, 20 ms apart, so that each file changed at a time of its own.
    dir = folder({});
    const files = {
      'a.json': JSON.stringify(makeListing({ id: 'alpha' })),
      'b.json': JSON.stringify(makeListing({ id: 'beta' })),
      'c.yaml': `id: ${yaml.id}\nversion: '1.0.0'\ntitle: ${yaml.title}\nsummary: ${yaml.summary}\ndescription: ${yaml.description}\nefa: false\navailableIn: [DE-SH]\noperatingModel: SAAS\nhostingLocation: DE\nschutzbedarf: NORMAL\nplans:\n  - { id: standard, name: Standard, pricingModel: FLAT, priceEur: 10 }\ncontact: { name: Testteam, email: test@example.org }\n`,
      'broken.yaml': 'id: [unclosed',
      'no-id.json': '{"title": "x"}',
      'twin.json': JSON.stringify(makeListing({ id: 'alpha', title: 'Zwilling' })),
      'notes.txt': 'not a listing',
    };
    for (const [name, text] of Object.entries(files)) {
      writeFileSync(join(dir, name), text);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    url = await start(createProviderNode({ dir, providerId: 'nordwerk' }));
  });

  it('serves JSON and YAML documents with their change time and content hash, oldest change first', async () => {
    const { data } = await query(url, LISTINGS);
    expect(data.listings.totalCount).toBe(3);
    expect(data.listings.nodes.map((n: any) => [n.id, n.updatedAt])).toEqual([
      ['alpha', changedAt(dir, 'a.json')],
      ['beta', changedAt(dir, 'b.json')],
      ['gewerbe', changedAt(dir, 'c.yaml')],
    ]);
    const gewerbe = data.listings.nodes[2];
    expect(gewerbe.document).toEqual(makeListing({ id: 'gewerbe', title: 'Gewerbeanmeldung' }));
    expect(gewerbe.contentHash).toBe(contentHash(gewerbe.document));
    expect(Date.parse(data.listings.asOf)).toBeLessThanOrEqual(Date.now());
  });

  it('says which files it cannot serve', async () => {
    const { data } = await query(url, '{ endpoint { providerId listingCount unreadable { file reason } } }');
    expect(data.endpoint.providerId).toBe('nordwerk');
    expect(data.endpoint.listingCount).toBe(3);
    expect(data.endpoint.unreadable).toEqual([
      { file: 'broken.yaml', reason: expect.stringContaining('cannot be parsed') },
      { file: 'no-id.json', reason: 'has no "id"' },
      { file: 'twin.json', reason: 'id alpha is already served from a.json' },
    ]);
  });

  it('pages with a cursor without skipping or repeating', async () => {
    const first = await query(url, LISTINGS, { first: 2 });
    expect(first.data.listings.nodes.map((n: any) => n.id)).toEqual(['alpha', 'beta']);
    expect(first.data.listings.pageInfo.hasNextPage).toBe(true);
    const second = await query(url, LISTINGS, { first: 2, after: first.data.listings.pageInfo.endCursor });
    expect(second.data.listings.nodes.map((n: any) => n.id)).toEqual(['gewerbe']);
    expect(second.data.listings.pageInfo.hasNextPage).toBe(false);
  });

  it('serves only what changed at or after updatedSince', async () => {
    const { data } = await query(url, LISTINGS, { since: changedAt(dir, 'b.json') });
    expect(data.listings.nodes.map((n: any) => n.id)).toEqual(['beta', 'gewerbe']);
  });

  it('serves an edited, a new and without a removed file on the next request', async () => {
    const since = changedAt(dir, 'twin.json');
    writeFileSync(join(dir, 'b.json'), JSON.stringify(makeListing({ id: 'beta', title: 'Beta neu' })));
    writeFileSync(join(dir, 'd.json'), JSON.stringify(makeListing({ id: 'delta' })));
    unlinkSync(join(dir, 'a.json'));
    const { data } = await query(url, LISTINGS, { since });
    // With a.json gone, twin.json (written last when the test began) serves alpha.
    expect(data.listings.nodes.map((n: any) => [n.id, n.document.title]).sort()).toEqual([
      ['alpha', 'Zwilling'],
      ['beta', 'Beta neu'],
      ['delta', 'Testdienst delta'],
    ]);
    const all = await query(url, LISTINGS);
    expect(all.data.listings.nodes.map((n: any) => n.id).sort()).toEqual([
      'alpha',
      'beta',
      'delta',
      'gewerbe',
    ]);
  });

  it('serves a change stamped a clock tick before a read began in the delta after that read', async () => {
    // The file system stamps files with a coarser clock than Date.now(): a file written while a
    // read is served can carry a time before the read's start, and must still be in the next delta.
    const begun = Date.now();
    const read = await query(url, LISTINGS);
    writeFileSync(join(dir, 'e.json'), JSON.stringify(makeListing({ id: 'epsilon' })));
    utimesSync(join(dir, 'e.json'), new Date(begun - 10), new Date(begun - 10));
    const delta = await query(url, LISTINGS, { since: read.data.listings.asOf });
    expect(delta.data.listings.nodes.map((n: any) => n.id)).toContain('epsilon');
    unlinkSync(join(dir, 'e.json'));
  });

  it('serves a file saved twice within one clock tick at the same size in its second version', async () => {
    // Same modification time, same size: the node kept serving the first version, and the change
    // never reached the catalogue until the file was touched again.
    const tick = new Date();
    const path = join(dir, 'f.json');
    writeFileSync(path, JSON.stringify(makeListing({ id: 'phi', title: 'Version AAAA' })));
    utimesSync(path, tick, tick);
    const titleOfPhi = async () =>
      (await query(url, LISTINGS)).data.listings.nodes.find((n: any) => n.id === 'phi').document.title;
    expect(await titleOfPhi()).toBe('Version AAAA');
    writeFileSync(path, JSON.stringify(makeListing({ id: 'phi', title: 'Version BBBB' })));
    utimesSync(path, tick, tick);
    expect(await titleOfPhi()).toBe('Version BBBB');
    unlinkSync(path);
  });

  it('answers a body that is not a JSON object, or variables that are not one, with 400', async () => {
    const post = (body: string) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    for (const body of ['null', '[]', '"query"', '5']) {
      const response = await post(body);
      expect(response.status, body).toBe(400);
      expect(await response.json()).toEqual({ errors: [{ message: 'the body is not a JSON object' }] });
    }
    for (const variables of ['"x"', '[1]', '5']) {
      const response = await post(`{"query":${JSON.stringify(LISTINGS)},"variables":${variables}}`);
      expect(response.status, variables).toBe(400);
      expect(await response.json()).toEqual({ errors: [{ message: 'variables is not a JSON object' }] });
    }
    const get = await fetch(
      `${url}?query=${encodeURIComponent(LISTINGS)}&variables=${encodeURIComponent('[1]')}`,
    );
    expect(get.status).toBe(400);
    expect((await post(`{"query":${JSON.stringify(LISTINGS)},"variables":null}`)).status).toBe(200);
  });

  it('refuses a page size outside 1 to 500 and a foreign cursor (BAD_USER_INPUT)', async () => {
    for (const variables of [
      { first: 0 },
      { first: 501 },
      { after: 'bm9wZQ' },
      { since: 'gestern' },
      { since: '2026-11-27T10:00:00' },
    ]) {
      const response = await query(url, LISTINGS, variables);
      expect(response.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    }
  });

  it('answers health checks and says where GraphQL is', async () => {
    const base = url.replace(/\/graphql$/, '');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/notifications`, { method: 'POST' })).status).toBe(404);
  });
});

describe('paging through a folder', () => {
  const ids = (page: { data?: any }) => page.data.listings.nodes.map((n: any) => n.id);
  const titles = (page: { data?: any }) => page.data.listings.nodes.map((n: any) => n.document.title);
  const cursorAt = (position: unknown[]) => Buffer.from(JSON.stringify(position)).toString('base64url');

  it('serves the further pages of a sequence from what its first page read; the changes meanwhile come with the next delta', async () => {
    const dir = folder({});
    for (const id of ['eins', 'zwei', 'drei']) {
      writeFileSync(join(dir, `${id}.json`), JSON.stringify(makeListing({ id, title: `${id} alt` })));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const url = await start(createProviderNode({ dir }));
    const first = await query(url, LISTINGS, { first: 1 });
    expect(ids(first)).toEqual(['eins']);

    // While the harvester pages: a listing not yet served is removed, one is edited, one is added.
    unlinkSync(join(dir, 'zwei.json'));
    writeFileSync(join(dir, 'drei.json'), JSON.stringify(makeListing({ id: 'drei', title: 'drei neu' })));
    writeFileSync(join(dir, 'vier.json'), JSON.stringify(makeListing({ id: 'vier', title: 'vier neu' })));

    const second = await query(url, LISTINGS, { first: 1, after: first.data.listings.pageInfo.endCursor });
    const third = await query(url, LISTINGS, { first: 5, after: second.data.listings.pageInfo.endCursor });
    expect([...ids(second), ...ids(third)]).toEqual(['zwei', 'drei']);
    expect(titles(third)).toEqual(['drei alt']);
    expect(third.data.listings.pageInfo.hasNextPage).toBe(false);
    // Every page answers the asOf of the read it comes from.
    expect(second.data.listings.asOf).toBe(first.data.listings.asOf);
    expect(third.data.listings.asOf).toBe(first.data.listings.asOf);

    // The next incremental harvest, from that asOf, brings the edited and the added listing; a new
    // sequence reads the folder as it is now.
    const delta = await query(url, LISTINGS, { since: first.data.listings.asOf });
    expect(ids(delta)).toEqual(expect.arrayContaining(['drei', 'vier']));
    expect(titles(delta)).toEqual(expect.arrayContaining(['drei neu', 'vier neu']));
    const again = await query(url, LISTINGS, { first: 10 });
    expect(ids(again).sort()).toEqual(['drei', 'eins', 'vier']);
  });

  it('reads the folder afresh for a cursor whose snapshot it does not hold, or one of an earlier node version', async () => {
    const dir = folder({});
    for (const id of ['eins', 'zwei']) {
      writeFileSync(join(dir, `${id}.json`), JSON.stringify(makeListing({ id, title: `${id} alt` })));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const url = await start(createProviderNode({ dir }));
    const first = await query(url, LISTINGS, { first: 1 });
    const [time, id, token] = JSON.parse(
      Buffer.from(first.data.listings.pageInfo.endCursor, 'base64url').toString('utf8'),
    ) as [number, string, string];
    expect([id, typeof token]).toEqual(['eins', 'string']);
    writeFileSync(join(dir, 'zwei.json'), JSON.stringify(makeListing({ id: 'zwei', title: 'zwei neu' })));

    for (const after of [
      cursorAt([time, id]), // no snapshot: a cursor of the node before snapshots
      cursorAt([time, id, `${token}0`]), // a snapshot this node never took
    ]) {
      const page = await query(url, LISTINGS, { first: 5, after });
      expect(titles(page), after).toEqual(['zwei neu']);
      expect(Date.parse(page.data.listings.asOf)).toBeGreaterThan(Date.parse(first.data.listings.asOf));
    }
    // The sequence's own snapshot is only used for the updatedSince it was read for.
    const since = first.data.listings.asOf;
    const withSince = await query(url, LISTINGS, {
      first: 5,
      since,
      after: first.data.listings.pageInfo.endCursor,
    });
    expect(titles(withSince)).toEqual(['zwei neu']);
    const own = await query(url, LISTINGS, { first: 5, after: first.data.listings.pageInfo.endCursor });
    expect(titles(own)).toEqual(['zwei alt']);
  });

  it('refuses a cursor whose snapshot token is not a string (BAD_USER_INPUT)', async () => {
    const url = await start(createProviderNode({ dir: folder({}) }));
    for (const position of [
      [1, 'x', 5],
      [1, 'x', 'y', 'z'],
    ]) {
      const page = await query(url, LISTINGS, { after: cursorAt(position) });
      expect(page.errors?.[0]?.extensions?.code, JSON.stringify(position)).toBe('BAD_USER_INPUT');
    }
  });
});

describe('requiring a client-credentials token', () => {
  let idp: IdentityProvider;
  let url: string;
  const audience = 'urn:verwaltungscloud:provider-endpoints';

  async function clientToken(clientId: string, secret: string): Promise<string> {
    const config = await openid.discovery(new URL(idp.issuer), clientId, secret, undefined, {
      execute: [openid.allowInsecureRequests],
    });
    return (await openid.clientCredentialsGrant(config)).access_token;
  }

  beforeAll(async () => {
    idp = await startIdentityProvider({
      audience,
      machineClients: [
        {
          clientId: 'catalogue-harvester',
          clientSecret: 'harvest-secret',
          roles: [],
          organisationId: 'koordinierung',
        },
      ],
    });
    closers.push(() => idp.close());
    const dir = folder({ 'a.json': JSON.stringify(makeListing({ id: 'alpha' })) });
    url = await start(createProviderNode({ dir, auth: { issuer: idp.issuer, audience } }));
  });

  it('answers 503 (retry), not 401, while its identity provider cannot be reached', async () => {
    // A refusal is final for the harvester (UNAUTHORIZED, not retried); an outage of the identity
    // provider is not the caller's fault.
    const dir = folder({ 'a.json': JSON.stringify(makeListing({ id: 'alpha' })) });
    const orphan = await start(createProviderNode({ dir, auth: { issuer: await downUrl(), audience } }));
    const token = await clientToken('catalogue-harvester', 'harvest-secret');
    const response = await query(orphan, LISTINGS, {}, token);
    expect(response.status).toBe(503);
    expect(response.errors?.[0]?.extensions).toEqual({
      code: 'UNAUTHENTICATED',
      reason: 'ISSUER_UNAVAILABLE',
    });
    // Without a token it is refused as before: nothing to check.
    expect((await query(orphan, LISTINGS)).status).toBe(401);
  });

  it('answers a request target that is not a URL with 400, the node and its identity provider alike', async () => {
    // Parsed unguarded, such a target threw in the request handler and ended the whole process.
    for (const base of [url, idp.issuer]) {
      const answer = await rawRequest(base, UNPARSABLE_TARGET);
      expect(answer.split('\r\n')[0], base).toBe('HTTP/1.1 400 Bad Request');
    }
    const token = await clientToken('catalogue-harvester', 'harvest-secret');
    expect((await query(url, LISTINGS, {}, token)).status).toBe(200);
  });

  it('serves a caller with a valid token', async () => {
    const token = await clientToken('catalogue-harvester', 'harvest-secret');
    const response = await query(url, LISTINGS, {}, token);
    expect(response.status).toBe(200);
    expect(response.data.listings.totalCount).toBe(1);
  });

  it('refuses a caller without a token, with a forged token, and with a token for another audience', async () => {
    expect((await query(url, LISTINGS)).status).toBe(401);
    const token = await clientToken('catalogue-harvester', 'harvest-secret');
    const [header, payload] = token.split('.');
    const tampered = `${header}.${Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), sub: 'x' }),
    ).toString('base64url')}.${token.split('.')[2]}`;
    const refused = await query(url, LISTINGS, {}, tampered);
    expect(refused.status).toBe(401);
    expect(refused.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');

    const otherIdp = await startIdentityProvider({
      audience: 'verwaltungscloud-catalogue',
      machineClients: [
        {
          clientId: 'catalogue-harvester',
          clientSecret: 'harvest-secret',
          roles: [],
          organisationId: 'koordinierung',
        },
      ],
    });
    closers.push(() => otherIdp.close());
    const foreign = await openid.clientCredentialsGrant(
      await openid.discovery(new URL(otherIdp.issuer), 'catalogue-harvester', 'harvest-secret', undefined, {
        execute: [openid.allowInsecureRequests],
      }),
    );
    expect((await query(url, LISTINGS, {}, foreign.access_token)).status).toBe(401);
  });

  it('refuses an ID token of the issuer, though it is for the audience', async () => {
    const token = await issuerSignedToken(
      idp,
      await clientToken('catalogue-harvester', 'harvest-secret'),
      { typ: 'ID' },
      { typ: 'JWT' },
    );
    const refused = await query(url, LISTINGS, {}, token);
    expect(refused.status).toBe(401);
    expect(refused.errors?.[0]?.message).toContain('not an access token');
  });
});

describe('receiving signed notifications', () => {
  let url: string;
  let key: CryptoKey;
  const received: ReceivedNotification[] = [];
  let jwksServer: Server;

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    key = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'catalogue-1', alg: 'ES256' };
    // The catalogue's /.well-known/jwks.json, as the gateway serves it.
    jwksServer = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => jwksServer.close(resolve)));
    const dir = folder({});
    url = (
      await start(
        createProviderNode({
          dir,
          providerId: 'nordwerk',
          catalogueJwksUrl: `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`,
          onNotification: (n) => received.push(n),
        }),
      )
    ).replace(/graphql$/, 'notifications');
  });

  function notification(id: string, provider = 'nordwerk'): string {
    return JSON.stringify({
      type: 'subscription.requested',
      notificationId: id,
      provider,
      occurredAt: new Date().toISOString(),
      subscription: { id: 's1', state: 'REQUESTED', serviceId: 'nordwerk/alpha', planId: 'standard' },
    });
  }

  async function post(body: string, signature?: string) {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(signature ? { [NOTIFICATION_SIGNATURE_HEADER]: signature } : {}),
      },
      body,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it('accepts a notification signed with the catalogue key, once', async () => {
    const body = notification('n-1');
    const signature = await signNotification(body, key, { alg: 'ES256', kid: 'catalogue-1' });
    expect(await post(body, signature)).toEqual({
      status: 200,
      body: { status: 'received', notificationId: 'n-1' },
    });
    expect(received.map((n) => [n.notificationId, n.type, n.kid])).toEqual([
      ['n-1', 'subscription.requested', 'catalogue-1'],
    ]);
    expect((await post(body, signature)).body.status).toBe('duplicate');
    expect(received).toHaveLength(1);
  });

  it('refuses a missing, malformed or foreign signature and a changed body', async () => {
    const body = notification('n-2');
    const signature = await signNotification(body, key, { alg: 'ES256', kid: 'catalogue-1' });
    expect(await post(body)).toMatchObject({ status: 401, body: { code: 'SIGNATURE_MISSING' } });
    expect(await post(body, 'abc')).toMatchObject({ status: 401, body: { code: 'SIGNATURE_MALFORMED' } });
    expect(await post(body.replace('n-2', 'n-3'), signature)).toMatchObject({
      status: 401,
      body: { code: 'SIGNATURE_INVALID' },
    });
    const stranger = await generateKeyPair('ES256');
    const forged = await signNotification(body, stranger.privateKey, { alg: 'ES256', kid: 'catalogue-1' });
    expect(await post(body, forged)).toMatchObject({ status: 401, body: { code: 'SIGNATURE_INVALID' } });
    expect(received.map((n) => n.notificationId)).not.toContain('n-2');
  });

  it('refuses a notification addressed to another provider', async () => {
    const body = notification('n-4', 'suedwerk');
    const signature = await signNotification(body, key, { alg: 'ES256', kid: 'catalogue-1' });
    expect((await post(body, signature)).status).toBe(400);
  });
});
