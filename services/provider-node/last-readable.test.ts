// A broken file's last readable version is served only while no readable file holds its id: the
// current content of another file wins over an old copy, and a version that was never served (a
// duplicate) is not claimed to be served.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeListing } from '../../test/helpers/listings.ts';
import { startProviderNode, type TestProviderNode } from '../../test/helpers/provider-nodes.ts';

const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

async function node(): Promise<TestProviderNode> {
  const started = await startProviderNode([]);
  closers.push(() => started.close());
  return started;
}

async function ask(url: string, query: string): Promise<any> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  return ((await response.json()) as any).data;
}

const READ = `{
  listings(first: 100) { nodes { id document } }
  endpoint { unreadable { file reason servingLastReadable } }
}`;

describe('the last readable version of a broken file and the duplicate-id check', () => {
  it('serves the current content of a readable file rather than a stale copy of a broken one', async () => {
    const n = await node();
    n.write(makeListing({ id: 'dienst', title: 'Alte Fassung' }), { file: 'a-dienst.json' });
    expect((await ask(n.url, READ)).listings.nodes).toHaveLength(1);
    // The provider's tool writes the new version to a new file and leaves the old one broken.
    writeFileSync(join(n.dir, 'a-dienst.json'), '{ "id": "dienst", ');
    n.write(makeListing({ id: 'dienst', title: 'Neue Fassung' }), { file: 'b-dienst.json' });

    const data = await ask(n.url, READ);
    expect(data.listings.nodes.map((node: any) => node.document.title)).toEqual(['Neue Fassung']);
  });

  it('does not claim to serve the last version of a broken file that was never served', async () => {
    const n = await node();
    n.write(makeListing({ id: 'dienst' }), { file: 'a.json' });
    n.write(makeListing({ id: 'dienst', title: 'Kopie' }), { file: 'b.json' });
    await ask(n.url, READ); // b.json is read (a duplicate of a.json's id: not served)
    writeFileSync(join(n.dir, 'b.json'), '{ kaputt');

    const data = await ask(n.url, READ);
    expect(data.listings.nodes.map((node: any) => node.document.title)).toEqual(['Testdienst dienst']);
    const forB = data.endpoint.unreadable.filter((u: any) => u.file === 'b.json');
    expect(forB.every((u: any) => u.servingLastReadable === false)).toBe(true);
  });
});
