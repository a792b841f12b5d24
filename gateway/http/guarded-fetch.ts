import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect, isIP, type LookupFunction, type Socket } from 'node:net';
import { rootCertificates, connect as tlsConnect } from 'node:tls';
import { createAddressPolicy, type AddressPolicy } from './address-policy.ts';

/** Stable codes of a refused or failed outbound request. */
export type GuardedFetchErrorCode =
  | 'URL_REFUSED'
  | 'ADDRESS_REFUSED'
  | 'RESPONSE_TOO_LARGE'
  | 'TIMEOUT'
  | 'TOO_MANY_REDIRECTS'
  | 'CONNECTION_FAILED';

/** Why an outbound request was refused or failed; `code` is what callers switch on. */
export class GuardedFetchError extends Error {
  readonly code: GuardedFetchErrorCode;
  readonly url: string;

  constructor(code: GuardedFetchErrorCode, url: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GuardedFetchError';
    this.code = code;
    this.url = url;
  }
}

export interface GuardedFetchOptions {
  /** Allow plain `http:` URLs. Default false: https only (production). */
  allowHttp?: boolean;
  /**
   * CIDR ranges that may be reached although they are loopback, private, link-local and so on
   * ("127.0.0.0/8", "::1/128"). Default: none.
   */
  allowedAddresses?: readonly string[];
  /** Timeout (in milliseconds) for the whole request, redirects and body included. Default 10000. */
  timeoutMs?: number;
  /** Largest response body (in bytes), enforced while the body streams in. Default 10 MiB. */
  maxResponseBytes?: number;
  /**
   * Answer as soon as the status line and headers are in, with an empty body, and close the
   * connection without reading the body (webhooks: the status says whether a notification was
   * taken; a large or slow body after a 2xx must not make it a failure). Default false.
   */
  ignoreResponseBody?: boolean;
  /** Redirects followed at most. Default 3. */
  maxRedirects?: number;
  /** The User-Agent header. */
  userAgent?: string;
  /** Extra trusted CA certificates (PEM), for endpoints with a private CA. Default: Node's CA store. */
  ca?: string | readonly string[];
}

/** A `fetch`-compatible function (jose's and openid-client's customFetch accept it). */
export type GuardedFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const NULL_BODY = new Set([101, 204, 205, 304]);

interface Hop {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
}

interface RawResponse {
  status: number;
  statusText: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * Builds a fetch that refuses to reach what the gateway must not reach: non-https URLs (unless
 * allowed) and loopback, private, link-local, CGNAT, unique-local and cloud-metadata addresses (unless
 * allowed). The address is checked where it is decided: for IP-literal hosts before connecting, in the
 * DNS lookup for names, and again on the connected socket's remote address before a byte is sent, on
 * every redirect hop. Bodies are capped while they stream; compressed responses are not requested.
 */
export function createGuardedFetch(options: GuardedFetchOptions = {}): GuardedFetch {
  const policy = createAddressPolicy(options.allowedAddresses ?? []);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxResponseBytes = options.maxResponseBytes ?? 10 * 1024 * 1024;
  const maxRedirects = options.maxRedirects ?? 3;
  const ignoreBody = options.ignoreResponseBody ?? false;
  const allowHttp = options.allowHttp ?? false;
  const userAgent = options.userAgent ?? 'verwaltungscloud-catalogue';
  const ca = options.ca === undefined ? undefined : [...rootCertificates, ...[options.ca].flat()];

  return async (input, init = {}) => {
    const request = input instanceof Request ? input : undefined;
    const url = new URL(request ? request.url : input instanceof URL ? input.href : input);
    const method = (init.method ?? request?.method ?? 'GET').toUpperCase();
    const headers: Record<string, string> = {};
    new Headers(init.headers ?? request?.headers).forEach((value, name) => (headers[name] = value));
    headers['user-agent'] ??= userAgent;
    // Compressed bodies would make the size cap meaningless (a small zip bomb); ask for none.
    headers['accept-encoding'] = 'identity';
    const body = await bodyBytes(init.body ?? (request?.body ? await request.arrayBuffer() : undefined));
    if (init.body instanceof URLSearchParams)
      headers['content-type'] ??= 'application/x-www-form-urlencoded;charset=UTF-8';
    const redirect = init.redirect ?? request?.redirect ?? 'follow';

    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, deadline]) : deadline;
    const abortError = () =>
      deadline.aborted
        ? new GuardedFetchError(
            'TIMEOUT',
            url.href,
            `no complete response from ${url.origin} within ${timeoutMs} ms`,
          )
        : signal.reason;

    let hop: Hop = { url, method, headers, body };
    for (let redirects = 0; ; redirects++) {
      checkUrl(hop.url, allowHttp, policy);
      let raw: RawResponse;
      try {
        raw = await send(hop, policy, ignoreBody ? null : maxResponseBytes, signal, ca);
      } catch (error) {
        if (signal.aborted) throw abortError();
        throw error;
      }
      const location = raw.headers.location;
      if (!REDIRECTS.has(raw.status) || !location || redirect === 'manual') {
        return toResponse(raw, hop.url, redirects > 0);
      }
      if (redirect === 'error') throw new TypeError(`fetch failed: ${hop.url.href} redirects`);
      if (redirects >= maxRedirects) {
        throw new GuardedFetchError(
          'TOO_MANY_REDIRECTS',
          url.href,
          `${url.href} redirected more than ${maxRedirects} times`,
        );
      }
      const next = new URL(location, hop.url);
      const nextHeaders = { ...hop.headers };
      // Credentials are for the origin they were meant for.
      if (next.origin !== hop.url.origin) {
        delete nextHeaders.authorization;
        delete nextHeaders.cookie;
      }
      let nextMethod = hop.method;
      let nextBody = hop.body;
      // As browsers do: 303, and 301/302 after POST, continue as GET without a body.
      if (raw.status === 303 || ((raw.status === 301 || raw.status === 302) && hop.method === 'POST')) {
        nextMethod = hop.method === 'HEAD' ? 'HEAD' : 'GET';
        nextBody = undefined;
        delete nextHeaders['content-type'];
      }
      hop = { url: next, method: nextMethod, headers: nextHeaders, body: nextBody };
    }
  };
}

function checkUrl(url: URL, allowHttp: boolean, policy: AddressPolicy): void {
  if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) {
    throw new GuardedFetchError(
      'URL_REFUSED',
      url.href,
      `${url.protocol} URLs are refused; ${allowHttp ? 'only http: and https:' : 'only https:'} may be fetched (${url.href})`,
    );
  }
  if (url.username || url.password) {
    throw new GuardedFetchError('URL_REFUSED', url.href, `URLs with credentials are refused (${url.origin})`);
  }
  // WHATWG URL parsing already turned 2130706433, 0x7f.1 and 127.1 into 127.0.0.1: check the literal
  // here, because a DNS lookup hook never sees IP-literal hosts.
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) refuseAddress(policy, host, url);
}

function refuseAddress(policy: AddressPolicy, address: string, url: URL): void {
  const range = policy.refusal(address);
  if (range) {
    throw new GuardedFetchError(
      'ADDRESS_REFUSED',
      url.href,
      `${url.host} is ${address}, a ${range} address; outbound requests may not reach it unless OUTBOUND_ALLOWED_ADDRESSES allows it`,
    );
  }
}

function guardedLookup(policy: AddressPolicy, url: URL): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const usable = addresses.filter((a) => policy.refusal(a.address) === null);
      if (usable.length === 0) {
        const first = addresses[0];
        const range = first ? policy.refusal(first.address) : null;
        return callback(
          new GuardedFetchError(
            'ADDRESS_REFUSED',
            url.href,
            `${hostname} resolves to ${addresses.map((a) => a.address).join(', ') || 'nothing'}${range ? ` (${range})` : ''}; outbound requests may not reach it unless OUTBOUND_ALLOWED_ADDRESSES allows it`,
          ),
          '',
          0,
        );
      }
      if (options.all) return (callback as (e: null, a: LookupAddress[]) => void)(null, usable);
      callback(null, usable[0]!.address, usable[0]!.family);
    });
  };
}

/**
 * Opens the TCP connection itself, checks the address it actually reached, and only then starts TLS
 * and hands the socket to the HTTP client: no byte reaches a refused address.
 */
function connectChecked(
  hop: Hop,
  policy: AddressPolicy,
  signal: AbortSignal,
  ca: string[] | undefined,
): Promise<Socket> {
  const host = hop.url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(hop.url.port || (hop.url.protocol === 'https:' ? 443 : 80));
  return new Promise((resolve, reject) => {
    const tcp = netConnect({ host, port, lookup: guardedLookup(policy, hop.url) });
    const fail = (error: unknown) => {
      tcp.destroy();
      reject(error);
    };
    const onAbort = () => fail(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    tcp.once('error', (error) =>
      fail(
        error instanceof GuardedFetchError
          ? error
          : new GuardedFetchError(
              'CONNECTION_FAILED',
              hop.url.href,
              `cannot connect to ${hop.url.host}: ${error.message}`,
              {
                cause: error,
              },
            ),
      ),
    );
    tcp.once('connect', () => {
      try {
        refuseAddress(policy, tcp.remoteAddress ?? '', hop.url);
      } catch (error) {
        return fail(error);
      }
      if (hop.url.protocol !== 'https:') {
        signal.removeEventListener('abort', onAbort);
        return resolve(tcp);
      }
      const tls = tlsConnect({
        ca,
        socket: tcp,
        // The certificate is checked against `host`; SNI carries names only.
        host,
        servername: isIP(host) ? undefined : host,
        ALPNProtocols: ['http/1.1'],
      });
      tls.once('error', (error) =>
        fail(
          new GuardedFetchError(
            'CONNECTION_FAILED',
            hop.url.href,
            `TLS with ${hop.url.host} failed: ${error.message}`,
            { cause: error },
          ),
        ),
      );
      tls.once('secureConnect', () => {
        signal.removeEventListener('abort', onAbort);
        resolve(tls);
      });
    });
  });
}

async function send(
  hop: Hop,
  policy: AddressPolicy,
  /** Null: answer on the status line and headers, the body not read. */
  maxBytes: number | null,
  signal: AbortSignal,
  ca: string[] | undefined,
): Promise<RawResponse> {
  const socket = await connectChecked(hop, policy, signal, ca);
  return new Promise<RawResponse>((resolve, reject) => {
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      reject(error);
    };
    const headers: Record<string, string> = { ...hop.headers, host: hop.url.host };
    if (hop.body) headers['content-length'] = String(hop.body.length);
    const requestFn = hop.url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = requestFn({
      method: hop.method,
      host: hop.url.hostname.replace(/^\[|\]$/g, ''),
      port: hop.url.port || undefined,
      path: `${hop.url.pathname}${hop.url.search}`,
      headers,
      signal,
      createConnection: () => socket,
    });
    req.once('error', (error) =>
      fail(
        error instanceof GuardedFetchError || signal.aborted
          ? error
          : new GuardedFetchError(
              'CONNECTION_FAILED',
              hop.url.href,
              `request to ${hop.url.host} failed: ${error.message}`,
              { cause: error },
            ),
      ),
    );
    req.once('response', (res: IncomingMessage) => {
      if (maxBytes === null) {
        settled = true;
        socket.destroy();
        return resolve({
          status: res.statusCode ?? 0,
          statusText: res.statusMessage ?? '',
          headers: res.headers,
          body: Buffer.alloc(0),
        });
      }
      const tooLarge = () =>
        new GuardedFetchError(
          'RESPONSE_TOO_LARGE',
          hop.url.href,
          `the response of ${hop.url.origin} is larger than ${maxBytes} bytes`,
        );
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBytes) return fail(tooLarge());
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        // Stop reading at the cap: the rest of the body is never buffered.
        if (size > maxBytes) return fail(tooLarge());
        chunks.push(chunk);
      });
      res.once('error', (error) => fail(error));
      res.once('end', () => {
        if (settled) return;
        settled = true;
        socket.destroy();
        resolve({
          status: res.statusCode ?? 0,
          statusText: res.statusMessage ?? '',
          headers: res.headers,
          body: Buffer.concat(chunks),
        });
      });
    });
    req.end(hop.body);
  });
}

function toResponse(raw: RawResponse, url: URL, redirected: boolean): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  const response = new Response(NULL_BODY.has(raw.status) ? null : raw.body, {
    status: raw.status,
    statusText: raw.statusText,
    headers,
  });
  Object.defineProperty(response, 'url', { value: url.href });
  Object.defineProperty(response, 'redirected', { value: redirected });
  return response;
}

async function bodyBytes(body: RequestInit['body'] | ArrayBuffer): Promise<Buffer | undefined> {
  if (body === null || body === undefined) return undefined;
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof URLSearchParams) return Buffer.from(body.toString());
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof Blob) return Buffer.from(await body.arrayBuffer());
  throw new TypeError('guarded fetch sends string, URLSearchParams, Blob or byte bodies only');
}
