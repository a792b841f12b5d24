import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { CatalogWriteHooks } from './catalog/publish-listing.ts';

/** A route handler; `url` is the parsed request URL. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

/**
 * What a component (certification, subscriptions, harvesting) adds to the gateway: HTTP routes, hooks
 * that run inside catalogue write transactions, and background work that runs while the server listens.
 */
export interface GatewayModule {
  name: string;
  /** Extra routes by exact path, for example `/.well-known/jwks.json`. */
  routes?: Record<string, RouteHandler>;
  /** Runs inside the transaction of every catalogue write (publish, withdraw). */
  catalogWriteHooks?: CatalogWriteHooks;
  /** Adds the component's own metrics to /metrics; called once while the server is built. */
  registerMetrics?(registry: Registry): void;
  /** Starts background work; called once the server listens. */
  start?(): Promise<void>;
  /** Stops background work; called on close, before the database closes. */
  stop?(): Promise<void>;
}

/**
 * Runs every module's catalogue write hooks, in module order, inside the same transaction: each module
 * sees all of a transaction's writes before the next module runs, so the last module's locks (the
 * audit chain's head) come after every other module's.
 */
export function composeCatalogWriteHooks(modules: readonly GatewayModule[]): CatalogWriteHooks {
  const hooks = modules.flatMap((m) => (m.catalogWriteHooks?.afterWrites ? [m.catalogWriteHooks] : []));
  const revocationHooks = modules.flatMap((m) =>
    m.catalogWriteHooks?.afterCertificateRevoked ? [m.catalogWriteHooks] : [],
  );
  return {
    afterWrites: async (trx, events) => {
      for (const hook of hooks) await hook.afterWrites!(trx, events);
    },
    afterCertificateRevoked: async (trx, certificate) => {
      for (const hook of revocationHooks) await hook.afterCertificateRevoked!(trx, certificate);
    },
  };
}
