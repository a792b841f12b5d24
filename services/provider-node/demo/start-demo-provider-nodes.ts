import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import { upsertOrganisation } from '../../../gateway/catalog/organisations.ts';
import type { Database } from '../../../gateway/database/database.ts';
import { registerEndpoint } from '../../../gateway/harvest/store/harvest-endpoints.ts';
import { DEMO_ORGANISATIONS } from '../../demo/demo-catalogue.ts';
import { createProviderNode, type ProviderNode } from '../create-provider-node.ts';

/** The demo providers that keep their listings on their own provider node, and the node's folder. */
export const DEMO_PROVIDER_NODES = [
  { providerId: 'kdo', dir: fileURLToPath(new URL('./kdo/', import.meta.url)) },
  { providerId: 'regio-it', dir: fileURLToPath(new URL('./regio-it/', import.meta.url)) },
] as const;

export interface DemoProviderNodes {
  nodes: { providerId: string; url: string; dir: string }[];
  close(): Promise<void>;
}

/**
 * Demo mode: starts a provider node on 127.0.0.1 for each demo provider that runs its own catalogue
 * endpoint, and registers it for harvesting (again on every start, since the port changes). The
 * gateway's scheduler harvests them as soon as it runs.
 */
export async function startDemoProviderNodes(db: Kysely<Database>): Promise<DemoProviderNodes> {
  const started: { node: ProviderNode; providerId: string; url: string; dir: string }[] = [];
  try {
    for (const { providerId, dir } of DEMO_PROVIDER_NODES) {
      const organisation = DEMO_ORGANISATIONS.find((o) => o.id === providerId);
      if (!organisation) throw new Error(`demo provider ${providerId} is missing from DEMO_ORGANISATIONS`);
      // A data directory seeded before this provider existed has no row for it yet.
      await upsertOrganisation(db, organisation);
      const node = createProviderNode({ dir, providerId });
      const url = await node.listen(0, '127.0.0.1');
      started.push({ node, providerId, url, dir });
      await registerEndpoint(db, {
        providerId,
        url,
        requiresToken: false,
        intervalSeconds: 60,
        fullSyncIntervalSeconds: 600,
        registeredBy: 'demo',
      });
    }
  } catch (error) {
    for (const { node } of started) await node.close();
    throw error;
  }
  return {
    nodes: started.map(({ providerId, url, dir }) => ({ providerId, url, dir })),
    close: async () => {
      for (const { node } of started) await node.close();
    },
  };
}
