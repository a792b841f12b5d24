import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, customFetch, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuardedFetch, GuardedFetchError, type GuardedFetchErrorCode } from './guarded-fetch.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface LocalServer {
  port: number;
  requests: IncomingMessage[];
  server: Server;
}

const servers: Server[] = [];

async function listen(host: string, handler: Handler): Promise<LocalServer> {
  const requests: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    requests.push(req);
    handler(req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { port: (server.address() as AddressInfo).port, requests, server };
}

async function refusal(promise: Promise<unknown>): Promise<GuardedFetchErrorCode> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GuardedFetchError);
  return (error as GuardedFetchError).code;
}

let ok: LocalServer;
let okV6: LocalServer;
let other: LocalServer;

beforeAll(async () => {
  ok = await listen('127.0.0.1', (req, res) => {
    res.writeHead(200, {
      'content-type': 'application/json',
      'x-seen-auth': req.headers.authorization ?? '',
    });
    res.end(JSON.stringify({ path: req.url, method: req.method }));
  });
  okV6 = await listen('::1', (_req, res) => res.end('six'));
  // 127.0.0.2 is loopback too, but outside the single address the redirect tests allow.
  other = await listen('127.0.0.2', (_req, res) => res.end('other'));
});

afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

const strict = createGuardedFetch({ allowHttp: true });
const loopback = createGuardedFetch({ allowHttp: true, allowedAddresses: ['127.0.0.0/8', '::1/128'] });

describe('addresses the gateway must not reach are refused, and nothing is sent to them', () => {
  it.each([
    ['a loopback IP', (port: number) => `http://127.0.0.1:${port}/`],
    ['a decimal IP literal', (port: number) => `http://2130706433:${port}/`],
    ['a hexadecimal short IP literal', (port: number) => `http://0x7f.1:${port}/`],
    ['an octal IP literal', (port: number) => `http://017700000001:${port}/`],
    ['an IPv4-mapped IPv6 literal', (port: number) => `http://[::ffff:127.0.0.1]:${port}/`],
    ['a name that resolves to loopback', (port: number) => `http://localhost:${port}/`],
  ])('%s', async (_what, url) => {
    const before = ok.requests.length;
    expect(await refusal(strict(url(ok.port)))).toBe('ADDRESS_REFUSED');
    expect(ok.requests.length).toBe(before);
  });

  it('IPv6 loopback', async () => {
    expect(await refusal(strict(`http://[::1]:${okV6.port}/`))).toBe('ADDRESS_REFUSED');
    expect(okV6.requests).toHaveLength(0);
  });

  it('a cloud metadata address, without trying to connect', async () => {
    const started = Date.now();
    const error = await strict('http://169.254.169.254/latest/meta-data/').catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'ADDRESS_REFUSED',
      message: expect.stringContaining('cloud-metadata'),
    });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it.each(['http://10.0.0.1/', 'http://100.64.0.1/', 'http://[fd00::1]/', 'http://[fe80::1]/', 'http://0/'])(
    '%s, without trying to connect',
    async (url) => {
      expect(await refusal(strict(url))).toBe('ADDRESS_REFUSED');
    },
  );

  it('a redirect to a refused address, checked on the hop', async () => {
    const single = createGuardedFetch({ allowHttp: true, allowedAddresses: ['127.0.0.1/32'] });
    const redirecting = await listen('127.0.0.1', (_req, res) => {
      res.writeHead(302, { location: `http://127.0.0.2:${other.port}/secret` });
      res.end();
    });
    expect(await refusal(single(`http://127.0.0.1:${redirecting.port}/`))).toBe('ADDRESS_REFUSED');
    expect(redirecting.requests).toHaveLength(1);
    expect(other.requests).toHaveLength(0);
  });

  it('a redirect that hides the loopback address in a decimal literal', async () => {
    const single = createGuardedFetch({ allowHttp: true, allowedAddresses: ['127.0.0.1/32'] });
    const redirecting = await listen('127.0.0.1', (_req, res) => {
      res.writeHead(307, { location: `http://2130706434:${other.port}/` }); // 127.0.0.2
      res.end();
    });
    expect(await refusal(single(`http://127.0.0.1:${redirecting.port}/`))).toBe('ADDRESS_REFUSED');
    expect(other.requests).toHaveLength(0);
  });
});

describe('URLs', () => {
  it('only https unless http is allowed (production)', async () => {
    const production = createGuardedFetch({ allowedAddresses: ['127.0.0.0/8'] });
    expect(await refusal(production(`http://127.0.0.1:${ok.port}/`))).toBe('URL_REFUSED');
    expect(await refusal(loopback('file:///etc/passwd'))).toBe('URL_REFUSED');
    expect(await refusal(loopback(`http://user:pw@127.0.0.1:${ok.port}/`))).toBe('URL_REFUSED');
  });

  it('https works with a trusted certificate, and a redirect from https to http is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vc-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    const key = readFileSync(join(dir, 'key.pem'), 'utf8');
    rmSync(dir, { recursive: true, force: true });
    const tls = createHttpsServer({ cert, key }, (req, res) => {
      if (req.url === '/down') {
        res.writeHead(302, { location: `http://127.0.0.1:${ok.port}/` });
        return void res.end();
      }
      res.end('secure');
    });
    servers.push(tls);
    await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
    const port = (tls.address() as AddressInfo).port;
    const production = createGuardedFetch({ allowedAddresses: ['127.0.0.0/8'], ca: cert });
    expect(await (await production(`https://localhost:${port}/`)).text()).toBe('secure');
    expect(await (await production(`https://127.0.0.1:${port}/`)).text()).toBe('secure');
    const before = ok.requests.length;
    expect(await refusal(production(`https://localhost:${port}/down`))).toBe('URL_REFUSED');
    expect(ok.requests.length).toBe(before);
    const untrusting = createGuardedFetch({ allowedAddresses: ['127.0.0.0/8'] });
    expect(await refusal(untrusting(`https://localhost:${port}/`))).toBe('CONNECTION_FAILED');
  });
});

describe('what is allowed works like fetch', () => {
  it('GET and POST with headers and body', async () => {
    const get = await loopback(`http://127.0.0.1:${ok.port}/a?b=1`);
    expect(get.status).toBe(200);
    expect(get.headers.get('content-type')).toBe('application/json');
    expect(await get.json()).toEqual({ path: '/a?b=1', method: 'GET' });
    const post = await loopback(`http://localhost:${ok.port}/p`, {
      method: 'POST',
      headers: { authorization: 'Bearer x' },
      body: new URLSearchParams({ a: '1' }),
    });
    expect(await post.json()).toEqual({ path: '/p', method: 'POST' });
    expect(post.headers.get('x-seen-auth')).toBe('Bearer x');
    expect((await loopback(`http://[::1]:${okV6.port}/`)).status).toBe(200);
  });

  it('follows redirects within the limit, dropping credentials across origins', async () => {
    const redirecting = await listen('127.0.0.1', (req, res) => {
      res.writeHead(303, { location: `http://localhost:${ok.port}/landed` });
      res.end();
    });
    const response = await loopback(`http://127.0.0.1:${redirecting.port}/`, {
      method: 'POST',
      body: 'x',
      headers: { authorization: 'Bearer secret' },
    });
    expect(response.redirected).toBe(true);
    expect(response.url).toBe(`http://localhost:${ok.port}/landed`);
    expect(await response.json()).toEqual({ path: '/landed', method: 'GET' });
    expect(response.headers.get('x-seen-auth')).toBe('');
  });

  it('returns a redirect as is when asked to (redirect: manual)', async () => {
    const redirecting = await listen('127.0.0.1', (_req, res) => {
      res.writeHead(302, { location: 'http://169.254.169.254/' });
      res.end();
    });
    const response = await loopback(`http://127.0.0.1:${redirecting.port}/`, { redirect: 'manual' });
    expect(response.status).toBe(302);
  });

  it('stops after maxRedirects', async () => {
    const looping = await listen('127.0.0.1', (req, res) => {
      res.writeHead(302, { location: `/again${req.url}` });
      res.end();
    });
    const twice = createGuardedFetch({ allowHttp: true, allowedAddresses: ['127.0.0.0/8'], maxRedirects: 2 });
    expect(await refusal(twice(`http://127.0.0.1:${looping.port}/`))).toBe('TOO_MANY_REDIRECTS');
    expect(looping.requests).toHaveLength(3);
  });

  it('serves as jose customFetch for a remote key set', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
    const jwks = await listen('127.0.0.1', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    const token = await new SignJWT({ a: 1 })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .sign(privateKey);
    const keySet = createRemoteJWKSet(new URL(`http://127.0.0.1:${jwks.port}/jwks`), {
      [customFetch]: loopback,
    });
    expect((await jwtVerify(token, keySet)).payload.a).toBe(1);
    const refusing = createRemoteJWKSet(new URL(`http://127.0.0.1:${jwks.port}/jwks`), {
      [customFetch]: strict,
    });
    await expect(jwtVerify(token, refusing)).rejects.toMatchObject({ code: 'ADDRESS_REFUSED' });
  });
});

describe('size and time', () => {
  it('aborts a 50 MB body at the cap while it streams, without reading the rest', async () => {
    let written = 0;
    let closedEarly = false;
    const huge = await listen('127.0.0.1', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const total = 50 * 1024 * 1024;
      res.on('close', () => (closedEarly = written < total));
      const pump = () => {
        while (written < total) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    const capped = createGuardedFetch({
      allowHttp: true,
      allowedAddresses: ['127.0.0.0/8'],
      maxResponseBytes: 1024 * 1024,
    });
    expect(await refusal(capped(`http://127.0.0.1:${huge.port}/`))).toBe('RESPONSE_TOO_LARGE');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closedEarly).toBe(true);
    expect(written).toBeLessThan(20 * 1024 * 1024);
  });

  it('refuses a declared Content-Length above the cap before reading', async () => {
    const declared = await listen('127.0.0.1', (_req, res) => {
      res.writeHead(200, { 'content-length': String(10 * 1024 * 1024) });
      res.write('x');
    });
    const capped = createGuardedFetch({
      allowHttp: true,
      allowedAddresses: ['127.0.0.0/8'],
      maxResponseBytes: 1000,
    });
    expect(await refusal(capped(`http://127.0.0.1:${declared.port}/`))).toBe('RESPONSE_TOO_LARGE');
  });

  it('times out a server that never answers', async () => {
    const silent = await listen('127.0.0.1', () => {});
    const quick = createGuardedFetch({ allowHttp: true, allowedAddresses: ['127.0.0.0/8'], timeoutMs: 300 });
    const started = Date.now();
    expect(await refusal(quick(`http://127.0.0.1:${silent.port}/`))).toBe('TIMEOUT');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('times out a body that trickles in', async () => {
    const trickle = await listen('127.0.0.1', (_req, res) => {
      res.writeHead(200);
      const timer = setInterval(() => res.write('.'), 50);
      res.on('close', () => clearInterval(timer));
    });
    const quick = createGuardedFetch({ allowHttp: true, allowedAddresses: ['127.0.0.0/8'], timeoutMs: 300 });
    expect(await refusal(quick(`http://127.0.0.1:${trickle.port}/`))).toBe('TIMEOUT');
  });

  it('reports a closed port as CONNECTION_FAILED', async () => {
    const gone = await listen('127.0.0.1', () => {});
    await new Promise((resolve) => gone.server.close(resolve));
    expect(await refusal(loopback(`http://127.0.0.1:${gone.port}/`))).toBe('CONNECTION_FAILED');
  });
});
