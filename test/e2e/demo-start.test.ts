import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.ts';

// `npm start` with no configuration: embedded PostgreSQL, demo data on first start, reused on the second.
const dataDir = mkdtempSync(join(tmpdir(), 'vc-demo-'));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(): Promise<GatewayProcess> {
  const gateway = await startGatewayProcess({
    env: { PATH: process.env.PATH, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1' },
  });
  children.push(gateway.child);
  return gateway;
}

async function search(url: string, text: string) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query:
        'query ($s: String) { services(search: $s, first: 5) { totalCount edges { node { id title } } } }',
      variables: { s: text },
    }),
  });
  return (
    (await response.json()) as {
      data: { services: { totalCount: number; edges: { node: { id: string; title: string } }[] } };
    }
  ).data.services;
}

/** The listings the two demo provider nodes serve, once the gateway has harvested them (polls up to 30 s). */
async function harvested(url: string) {
  const until = Date.now() + 30_000;
  for (;;) {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: `{ services(filter: { provider: ["kdo", "regio-it"] }, first: 50) {
          totalCount edges { node { id lastHarvestedAt provenance { source endpoint } } } } }`,
      }),
    });
    const services = (
      (await response.json()) as {
        data: {
          services: {
            totalCount: number;
            edges: { node: { id: string; lastHarvestedAt: string | null; provenance: { source: string } } }[];
          };
        };
      }
    ).data.services;
    if (services.totalCount === 6 || Date.now() > until) return services;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('npm start in demo mode', () => {
  it(
    'seeds the demo catalogue on first start and reuses it on the second',
    { timeout: 180_000 },
    async () => {
      const first = await start();
      expect(first.output()).toContain('DEMO MODE');
      // Embedded PostgreSQL: the heap is kept close to what is live (gateway/heap-tuning.ts).
      expect(first.output()).toContain('heap growing factor 1.20 (HEAP_GROWING_PERCENT=20)');
      // Two demo providers run provider nodes of their own, which the gateway harvests right away.
      expect(first.output()).toMatch(/Demo provider node of kdo: http:\/\/127\.0\.0\.1:\d+\/graphql/);
      expect(first.output()).toMatch(/Demo provider node of regio-it: /);
      const federated = await harvested(first.url);
      expect(federated.totalCount).toBe(6);
      expect(
        federated.edges.every((e) => e.node.provenance.source === 'HARVEST' && e.node.lastHarvestedAt),
      ).toBe(true);
      const all = await search(first.url, '');
      expect(all.totalCount).toBeGreaterThanOrEqual(40);
      const wohngeld = await search(first.url, 'wohngeld');
      expect(wohngeld.edges.length).toBeGreaterThanOrEqual(2);
      expect(wohngeld.edges.slice(0, 2).every((e) => /wohngeld/i.test(e.node.title))).toBe(true);
      const providers = await fetch(`${first.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ providers { id land { code } } }' }),
      });
      const list = ((await providers.json()) as { data: { providers: { land: { code: string } }[] } }).data
        .providers;
      expect(list.length).toBeGreaterThanOrEqual(6);
      expect(new Set(list.map((p) => p.land.code)).size).toBeGreaterThanOrEqual(6);
      await first.stop();

      const second = await start();
      // The demo nodes listen on new ports, so the gateway harvests them again first (a full sync).
      expect((await harvested(second.url)).totalCount).toBe(6);
      expect((await search(second.url, '')).totalCount).toBe(all.totalCount);
      await second.stop();
    },
  );
});
