// The benchmark's providers as providers run them: each its own folder of listing documents, served by
// the reference provider node (services/provider-node) over real HTTP on 127.0.0.1.
//
// The nodes run in child processes (provider-nodes-process.ts), not in the benchmark's process: with
// embedded PostgreSQL (PGlite) the database's work runs on the benchmark's own thread, and nodes in
// that process would take its CPU (listing the folder, GraphQL, serialising pages), so the load rate
// would measure the providers' cost as well as the gateway's. Not one process per provider either
// (50 processes, each starting tsx and the GraphQL schema, ~60 MB each): a few processes host them
// all, each node on a port of its own, which is what the gateway sees of 50 providers. With cores to
// spare, as many processes as endpoints are harvested at a time (load-catalogue.ts decides), the
// providers dealt out in turn, so that the endpoints harvested at the same time (consecutive
// providers) are served in parallel, as separate providers' servers would be, rather than queueing
// in one event loop; on a machine with two cores, one process, so that the nodes take no more than
// the core the benchmark's process leaves free (more processes measured slower there).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Listing } from '../catalog-schema/generated/listing.ts';

export interface ProviderFolder {
  providerId: string;
  dir: string;
  listings: number;
}

/**
 * Writes each provider's listings as its folder of listing files under `root` (`<root>/<provider>/
 * <listing id>.json`), as a provider keeps them for its node. Returns the folders and when the last
 * file was written (Date.now()).
 */
export function writeProviderFolders(
  root: string,
  byProvider: ReadonlyMap<string, readonly Listing[]>,
): { folders: ProviderFolder[]; lastWriteMs: number } {
  const folders: ProviderFolder[] = [];
  for (const [providerId, listings] of byProvider) {
    const dir = join(root, providerId);
    mkdirSync(dir, { recursive: true });
    for (const listing of listings) {
      writeFileSync(join(dir, `${listing.id}.json`), JSON.stringify(listing, null, 2) + '\n');
    }
    folders.push({ providerId, dir, listings: listings.length });
  }
  return { folders, lastWriteMs: Date.now() };
}

export interface StartedNode {
  providerId: string;
  /** The endpoint URL (`http://127.0.0.1:PORT/graphql`). */
  url: string;
  /** What the node's `endpoint` query said once it listened. */
  listingCount: number;
  unreadable: unknown[];
}

export interface RunningProviderNodes {
  nodes: StartedNode[];
  pids: number[];
  /** Stops the nodes; resolves to what each served (pages, listings), as the nodes counted it. */
  close(): Promise<Record<string, { pages: number; listings: number }>>;
}

const SCRIPT = fileURLToPath(new URL('./provider-nodes-process.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const START_TIMEOUT_MS = 60_000;

/** Reads the child's stdout line by line. */
function lines(child: ChildProcess): AsyncIterator<string> {
  let buffer = '';
  const queue: string[] = [];
  let wake: (() => void) | null = null;
  let ended = false;
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    buffer += chunk;
    for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
      queue.push(buffer.slice(0, i));
      buffer = buffer.slice(i + 1);
    }
    wake?.();
  });
  child.stdout!.on('end', () => {
    ended = true;
    wake?.();
  });
  return {
    next: async () => {
      while (queue.length === 0 && !ended) await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      const line = queue.shift();
      return line === undefined ? { done: true, value: undefined } : { done: false, value: line };
    },
  };
}

/** One child process with a node for each of `folders`. */
async function startProcess(folders: readonly ProviderFolder[]): Promise<{
  nodes: StartedNode[];
  pid: number;
  close: RunningProviderNodes['close'];
  kill(): void;
}> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', SCRIPT, JSON.stringify(folders.map(({ providerId, dir }) => ({ providerId, dir })))],
    { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'production' } },
  );
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-20_000)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const output = lines(child);
  const fail = (why: string) => {
    child.kill('SIGKILL');
    return new Error(`the provider nodes (bench/provider-nodes-process.ts) ${why}\n${stderr}`);
  };
  let timer: NodeJS.Timeout | undefined;
  const first = await Promise.race([
    output.next(),
    new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), START_TIMEOUT_MS))),
  ]).finally(() => clearTimeout(timer));
  if (first === 'timeout') throw fail(`did not start within ${START_TIMEOUT_MS / 1000} s`);
  if (first.done) throw fail(`ended before they listened (exit code ${await exited})`);
  let nodes: StartedNode[];
  try {
    nodes = (JSON.parse(first.value) as { nodes: StartedNode[] }).nodes;
  } catch {
    throw fail(`wrote something else than their URLs: ${first.value.slice(0, 500)}`);
  }
  if (nodes.length !== folders.length) throw fail(`started ${nodes.length} of ${folders.length} nodes`);
  return {
    nodes,
    pid: child.pid!,
    kill: () => child.kill('SIGKILL'),
    close: async () => {
      child.stdin!.end();
      const last = await output.next();
      const code = await exited;
      if (last.done || code !== 0) {
        throw new Error(`the provider nodes did not stop cleanly (exit code ${code})\n${stderr}`);
      }
      return (JSON.parse(last.value) as { served: Record<string, { pages: number; listings: number }> })
        .served;
    },
  };
}

/**
 * Starts a provider node for each folder in `processes` child processes (see above), folder i in
 * process i mod `processes`, and checks that each serves all of its folder's listings.
 */
export async function startProviderNodes(
  folders: readonly ProviderFolder[],
  processes: number,
): Promise<RunningProviderNodes> {
  const count = Math.max(1, Math.min(processes, folders.length));
  const shares = Array.from({ length: count }, (_, p) => folders.filter((_, i) => i % count === p));
  const outcomes = await Promise.allSettled(shares.map(startProcess));
  const started = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
  const failure = outcomes.find((o) => o.status === 'rejected');
  const byProvider = new Map(started.flatMap((s) => s.nodes).map((n) => [n.providerId, n]));
  const problems = folders.flatMap(({ providerId, listings }) => {
    const node = byProvider.get(providerId);
    if (!node) return failure ? [] : [`${providerId}: no node`];
    if (node.listingCount !== listings || node.unreadable.length > 0)
      return [
        `${providerId}: serves ${node.listingCount} of ${listings} listings; unreadable: ${JSON.stringify(node.unreadable).slice(0, 500)}`,
      ];
    return [];
  });
  if (failure || problems.length > 0) {
    for (const s of started) s.kill();
    if (failure) throw failure.reason;
    throw new Error(`the provider nodes do not serve their folders:\n  ${problems.join('\n  ')}`);
  }
  return {
    nodes: folders.map(({ providerId }) => byProvider.get(providerId)!),
    pids: started.map((s) => s.pid),
    close: async () => {
      const served = await Promise.all(started.map((s) => s.close()));
      return Object.assign({}, ...served) as Record<string, { pages: number; listings: number }>;
    },
  };
}
