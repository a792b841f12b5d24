// What a shared HTTP cache in front of the gateway (a reverse proxy, a CDN) may do with its answers:
// none may be stored. An answer can depend on the caller (RFC 9111 lets a shared cache store a GET
// without Authorization and replay it to anyone), and every answer is stale after the next write.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESPONSE_CACHE_HEADER } from '../../gateway/http/graphql-handler.ts';
import { registerOrganisation } from '../helpers/listings.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

let t: TestServer;
const PRIVATE = '{ organisation(id: "amt-kiel") { id name kind } }';
const PUBLIC = '{ services(first: 1) { totalCount } }';

beforeAll(async () => {
  t = await startTestServer();
  await registerOrganisation(t.db, 'amt-kiel', 'AUTHORITY');
});
afterAll(async () => {
  await t?.close();
});

const post = (body: string, headers: Record<string, string> = {}) =>
  fetch(`${t.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });

describe('HTTP caching of GraphQL answers', () => {
  it("marks a member's GET answer no-store, which an anonymous caller may not read", async () => {
    const get = (headers: Record<string, string>) =>
      fetch(`${t.url}/graphql?query=${encodeURIComponent(PRIVATE)}`, {
        headers: { 'apollo-require-preflight': 'true', ...headers },
      });
    const member = await get({ 'x-dev-principal': 'authority@amt-kiel' });
    expect(((await member.json()) as any).data.organisation.id).toBe('amt-kiel');
    expect(member.headers.get('cache-control')).toBe('no-store');
    const stranger = await get({});
    expect(((await stranger.json()) as any).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(stranger.headers.get('cache-control')).toBe('no-store');
  });

  it('marks POST answers no-store, those the response cache answers too', async () => {
    const body = JSON.stringify({ query: PUBLIC });
    const seen: (string | null)[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await post(body);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      seen.push(response.headers.get(RESPONSE_CACHE_HEADER));
      await response.arrayBuffer();
    }
    expect(seen).toContain('hit');
  });

  it('marks error answers no-store (bad JSON, a body above the limit)', async () => {
    const bad = await post('{');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('cache-control')).toBe('no-store');
    const tooLarge = await post(
      JSON.stringify({ query: PUBLIC, pad: 'x'.repeat(t.server.config.maxBodyBytes) }),
    );
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.headers.get('cache-control')).toBe('no-store');
  });
});
