import { mkdtempSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Listing } from '../../catalog-schema/generated/listing.ts';
import {
  AS_OF_MARGIN_MS,
  createProviderNode,
  type ProviderNodeConfig,
} from '../../services/provider-node/create-provider-node.ts';

/** A real provider node over a temporary folder, and what its requests asked for. */
export interface TestProviderNode {
  url: string;
  dir: string;
  /** The `updatedSince` of each listings request, in order (null for the full snapshot). */
  requests: (string | null)[];
  /**
   * Writes (or rewrites) a listing document; `at` sets its modification time (its `updatedAt` at the
   * node only when later than the change time, which is the time of writing).
   */
  write(listing: Listing | Record<string, unknown>, options?: { at?: Date; file?: string }): void;
  /**
   * Waits until every file written so far is older than the `asOf` of the node's next answer. A file
   * written less than AS_OF_MARGIN_MS before a harvest is in that harvest and again in the next delta
   * (the node dates a listing by its file's change time, which cannot be set back): a test that counts
   * what a delta fetches settles the node before the harvest the delta follows.
   */
  settle(): Promise<void>;
  remove(localId: string): void;
  close(): Promise<void>;
}

/** Starts the reference provider node on 127.0.0.1 over a fresh folder holding `listings`. */
export async function startProviderNode(
  listings: (Listing | Record<string, unknown>)[],
  config: Omit<ProviderNodeConfig, 'dir'> = {},
): Promise<TestProviderNode> {
  const dir = mkdtempSync(join(tmpdir(), 'vc-provider-'));
  let lastWrite = 0;
  const write: TestProviderNode['write'] = (listing, options = {}) => {
    const path = join(dir, options.file ?? `${String(listing.id)}.json`);
    writeFileSync(path, JSON.stringify(listing, null, 2));
    if (options.at) utimesSync(path, options.at, options.at);
    lastWrite = Date.now();
  };
  for (const listing of listings) write(listing);
  const requests: (string | null)[] = [];
  const node = createProviderNode({
    dir,
    ...config,
    onListingsRead: (read) => {
      if (!read.after) requests.push(read.updatedSince?.toISOString() ?? null);
      config.onListingsRead?.(read);
    },
  });
  const url = await node.listen(0, '127.0.0.1');
  return {
    url,
    dir,
    requests,
    write,
    settle: () =>
      new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, lastWrite + AS_OF_MARGIN_MS + 50 - Date.now())),
      ),
    remove: (localId) => unlinkSync(join(dir, `${localId}.json`)),
    close: async () => {
      await node.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A plain HTTP server for fault cases (slow, huge, broken answers). */
export async function startFaultServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; server: Server; bytesWritten: () => number; close(): Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  let written = 0;
  server.on('connection', (socket) => socket.on('close', () => (written += socket.bytesWritten)));
  return {
    url,
    server,
    bytesWritten: () => written,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A URL on 127.0.0.1 where nothing listens. */
export async function downUrl(): Promise<string> {
  const fault = await startFaultServer(() => {});
  await fault.close();
  return fault.url;
}
