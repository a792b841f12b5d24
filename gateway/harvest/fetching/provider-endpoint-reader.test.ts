import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createGuardedFetch } from '../../http/guarded-fetch.ts';
import { providerEndpointReader } from './provider-endpoint-reader.ts';

// The reader against real HTTP endpoints that break the paging contract.
let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/** An endpoint that answers each request with `page(after, requestNumber)` as `data.listings`. */
async function endpoint(page: (after: string | null, request: number) => unknown) {
  let requests = 0;
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const { variables } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const listings = page(variables.after, ++requests);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: { listings } }));
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}/graphql`,
    requests: () => requests,
  };
}

const reader = providerEndpointReader({
  fetch: createGuardedFetch({ allowHttp: true, allowedAddresses: ['127.0.0.0/8'], timeoutMs: 2000 }),
  token: Object.assign(async () => 'unused', { forget: () => false }),
  pageSize: 2,
  maxListings: 10,
  retries: 0,
  retryBackoffMs: 1,
});

const asOf = '2026-11-27T00:00:00.000Z';
const nodes = (...ids: string[]) => ids.map((id) => ({ id, document: { id } }));

async function read(url: string) {
  return reader.read({ providerId: 'anbieter', url, requiresToken: false }, null, undefined);
}

describe('reading a provider endpoint', () => {
  it('reads every page of a well-behaved endpoint', async () => {
    const { url } = await endpoint((after) =>
      after === null
        ? { asOf, nodes: nodes('a', 'b'), pageInfo: { hasNextPage: true, endCursor: 'p2' } }
        : { asOf, nodes: nodes('c'), pageInfo: { hasNextPage: false, endCursor: null } },
    );
    const changes = await read(url);
    expect(changes.type).toBe('full');
    expect(changes.entries.map((e) => e.id)).toEqual(['a', 'b', 'c']);
  });

  it('fails on a page without pageInfo instead of taking it for the last page', async () => {
    const { url } = await endpoint(() => ({ asOf, nodes: nodes('a', 'b') }));
    await expect(read(url)).rejects.toMatchObject({
      code: 'BAD_RESPONSE',
      message: expect.stringContaining('pageInfo'),
    });
  });

  it('fails on a next page without a cursor, or a hasNextPage that is not a boolean', async () => {
    const noCursor = await endpoint(() => ({ asOf, nodes: nodes('a'), pageInfo: { hasNextPage: true } }));
    await expect(read(noCursor.url)).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
    await new Promise((resolve) => server!.close(resolve));
    const text = await endpoint(() => ({ asOf, nodes: nodes('a'), pageInfo: { hasNextPage: 'false' } }));
    await expect(read(text.url)).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
  });

  it('fails when a cursor comes back, however many pages later', async () => {
    const { url, requests } = await endpoint((after) => ({
      asOf,
      nodes: nodes('a', 'b'),
      pageInfo: { hasNextPage: true, endCursor: after === 'a' ? 'b' : 'a' },
    }));
    await expect(read(url)).rejects.toMatchObject({
      code: 'BAD_RESPONSE',
      message: expect.stringContaining('cursor'),
    });
    expect(requests()).toBe(3);
  });

  it('fails when pages repeat the same listings under ever new cursors', async () => {
    const { url, requests } = await endpoint((_after, request) => ({
      asOf,
      nodes: nodes('a', 'b'),
      pageInfo: { hasNextPage: true, endCursor: `seite-${request}` },
    }));
    await expect(read(url)).rejects.toMatchObject({
      code: 'BAD_RESPONSE',
      message: expect.stringContaining('repeat'),
    });
    // Twice HARVEST_MAX_LISTINGS (10) listings at two a page.
    expect(requests()).toBe(11);
  });
});
