import type { Kysely } from 'kysely';
import type { Database } from '../database/database.ts';
import type { GatewayModule } from '../gateway-module.ts';
import { registerHarvestMetrics } from './harvest-metrics.ts';
import type { Harvester } from './harvester.ts';

/**
 * The harvest scheduler as a gateway module: while the server listens it looks for due endpoints
 * every HARVEST_POLL_INTERVAL_MS (0: never, on this replica) and runs them. On stop it stops claiming
 * and gives runs in flight back, so another replica continues at once.
 */
export function harvestModule(harvester: Harvester, db: Kysely<Database>): GatewayModule {
  const interval = harvester.config.pollIntervalMs;
  let timer: NodeJS.Timeout | undefined;
  let tick: Promise<void> | undefined;
  let stopped = false;

  const poll = async () => {
    try {
      await harvester.harvestDue(new Date());
    } catch (error) {
      console.error('harvest scheduler:', error);
    }
    if (!stopped) timer = setTimeout(() => (tick = poll()), interval);
  };

  return {
    name: 'harvest',
    registerMetrics: (registry) => registerHarvestMetrics(registry, db),
    start: async () => {
      if (interval > 0) tick = poll();
    },
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await harvester.stop();
      await tick;
    },
  };
}
