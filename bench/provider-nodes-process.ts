// The benchmark's provider nodes, all in one process of their own (see provider-nodes.ts for why):
//   node --import tsx bench/provider-nodes-process.ts <json: [{ "providerId": …, "dir": … }, …]>
// Starts the reference provider node (services/provider-node) for each folder on 127.0.0.1, port 0,
// asks each for its `endpoint` (the listings it serves, and files it cannot read) as a readiness
// check, and writes one line to stdout: {"nodes":[{"providerId":…,"url":…,"listingCount":…,
// "unreadable":[…]}, …]}. Stops when its stdin
// ends (the benchmark closed it, or died) or on SIGTERM, writing {"served":{providerId:{pages,listings}}}.
import { createProviderNode, type ProviderNode } from '../services/provider-node/create-provider-node.ts';

const folders = JSON.parse(process.argv[2] ?? '[]') as { providerId: string; dir: string }[];
const started: { providerId: string; node: ProviderNode; url: string }[] = [];
const ready: { providerId: string; url: string; listingCount: number; unreadable: unknown[] }[] = [];
const served: Record<string, { pages: number; listings: number }> = {};

for (const { providerId, dir } of folders) {
  const counts = (served[providerId] = { pages: 0, listings: 0 });
  const node = createProviderNode({
    dir,
    providerId,
    onListingsRead: (read) => {
      counts.pages++;
      counts.listings += read.served;
    },
  });
  const url = await node.listen(0, '127.0.0.1');
  started.push({ providerId, node, url });
  // Over HTTP as any client: the node lists and reads its folder, as a node that has served before.
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ endpoint { listingCount unreadable { file reason } } }' }),
  });
  const { data } = (await response.json()) as {
    data?: { endpoint: { listingCount: number; unreadable: unknown[] } };
  };
  if (!data) throw new Error(`${url} did not answer its endpoint query (HTTP ${response.status})`);
  ready.push({ providerId, url, ...data.endpoint });
}
process.stdout.write(JSON.stringify({ nodes: ready }) + '\n');

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await Promise.all(started.map(({ node }) => node.close()));
  process.stdout.write(JSON.stringify({ served }) + '\n', () => process.exit(0));
};
process.stdin.on('end', () => void stop());
process.stdin.resume();
process.on('SIGTERM', () => void stop());
