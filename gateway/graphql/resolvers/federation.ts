import DataLoader from 'dataloader';
import {
  mayAccessOrganisation,
  requireEndpointManager,
  requireOrganisationAccess,
  requireOwnOrganisation,
  requireRole,
} from '../../auth/policy.ts';
import { UserError } from '../../errors.ts';
import { checkEndpointUrl } from '../../harvest/endpoint-url.ts';
import {
  endpointsByProvider,
  listEndpoints,
  registerEndpoint,
  setEndpointEnabled,
} from '../../harvest/store/harvest-endpoints.ts';
import { confirmHeldRun, latestFullSyncs, latestRuns, runsById } from '../../harvest/store/harvest-runs.ts';
import type { HarvestEndpointRow, HarvestRunRow } from '../../harvest/store/harvest-tables.ts';
import type { GatewayContext } from '../context.ts';
import type { Resolvers } from '../generated/resolvers-types.ts';
import { cacheResponseUntil } from '../response-cache/request-cacheability.ts';

interface FederationLoaders {
  endpoint: DataLoader<string, HarvestEndpointRow | null>;
  run: DataLoader<string, HarvestRunRow | null>;
  latestFullSync: DataLoader<string, HarvestRunRow | null>;
  runs: Map<number, DataLoader<string, HarvestRunRow[]>>;
}

// Per-request loaders of this domain, kept beside the shared ones (one set per request's `loaders`).
const perRequest = new WeakMap<object, FederationLoaders>();

function loaders(context: GatewayContext): FederationLoaders {
  let found = perRequest.get(context.loaders);
  if (!found) {
    const { db } = context;
    const byKey = <K, V>(rows: V[], key: (row: V) => K, keys: readonly K[]) => {
      const map = new Map(rows.map((row) => [key(row), row]));
      return keys.map((k) => map.get(k) ?? null);
    };
    found = {
      endpoint: new DataLoader(async (ids) =>
        byKey(await endpointsByProvider(db, ids), (e) => e.provider_id, ids),
      ),
      run: new DataLoader(async (ids) => byKey(await runsById(db, ids), (r) => r.id, ids)),
      latestFullSync: new DataLoader(async (ids) =>
        byKey(await latestFullSyncs(db, ids), (r) => r.provider_id, ids),
      ),
      runs: new Map(),
    };
    perRequest.set(context.loaders, found);
  }
  return found;
}

function runsLoader(context: GatewayContext, first: number): DataLoader<string, HarvestRunRow[]> {
  const all = loaders(context).runs;
  let loader = all.get(first);
  if (!loader) {
    loader = new DataLoader(async (providerIds) => {
      const rows = await latestRuns(context.db, providerIds, first);
      return providerIds.map((id) => rows.filter((r) => r.provider_id === id));
    });
    all.set(first, loader);
  }
  return loader;
}

function seconds(name: string, value: number | null | undefined, fallback: number, max: number): number {
  if (value === null || value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 10 || value > max) {
    throw new UserError('BAD_USER_INPUT', `${name} must be 10 to ${max} seconds, not ${value}.`, {
      field: name,
    });
  }
  return value;
}

async function organisationProvider(context: GatewayContext, providerId: string) {
  const organisation = await context.loaders.organisation.load(providerId);
  if (!organisation) {
    throw new UserError('NOT_FOUND', `There is no organisation "${providerId}".`, { providerId });
  }
  if (organisation.kind !== 'PROVIDER') {
    throw new UserError(
      'BAD_USER_INPUT',
      `"${providerId}" is registered as ${organisation.kind}, not as a provider.`,
      {
        providerId,
      },
    );
  }
  return organisation;
}

async function existingEndpoint(context: GatewayContext, providerId: string): Promise<HarvestEndpointRow> {
  const endpoint = await loaders(context).endpoint.load(providerId);
  if (!endpoint) {
    throw new UserError('NOT_FOUND', `Provider "${providerId}" has no harvest endpoint registered.`, {
      providerId,
    });
  }
  return endpoint;
}

/**
 * Until when an endpoint's circuit is open, or null. The pause ends with the clock, not with a write
 * that would drop cached answers, so an answer that says OPEN is cached only until then.
 */
function pausedUntil(endpoint: HarvestEndpointRow, context: GatewayContext): Date | null {
  const until = endpoint.circuit_open_until;
  if (!until || until.getTime() <= Date.now()) return null;
  cacheResponseUntil(context, until);
  return until;
}

export const federationResolvers: Resolvers = {
  Query: {
    harvestEndpoints: async (_parent, _args, context) => {
      // The role follows the caller's organisation, as everywhere else, not the first role its
      // token happens to list: a provider's member whose token also says coordinator is a provider.
      const actor = await requireOwnOrganisation(context, 'harvestEndpoints');
      if (actor.role === 'coordinator') return listEndpoints(context.db);
      if (actor.role !== 'provider') {
        throw new UserError(
          'FORBIDDEN',
          'harvestEndpoints is for providers (their own endpoint) and coordinators (every endpoint).',
        );
      }
      const endpoint = await loaders(context).endpoint.load(actor.organisation.id);
      return endpoint ? [endpoint] : [];
    },
    harvestEndpoint: async (_parent, { providerId }, context) => {
      await requireOrganisationAccess(context, providerId, 'harvestEndpoint');
      return loaders(context).endpoint.load(providerId);
    },
    harvestRun: async (_parent, { id }, context) => {
      // Run ids count up, so a run the caller may not see is answered as one that does not exist:
      // the caller is checked first, and neither the run nor its provider is revealed.
      const actor = await requireOwnOrganisation(context, 'harvestRun');
      const run = await loaders(context).run.load(id);
      return run && mayAccessOrganisation(actor, run.provider_id) ? run : null;
    },
  },

  Mutation: {
    registerHarvestEndpoint: async (_parent, { input }, context) => {
      const actor = await requireEndpointManager(context, input.providerId, 'registerHarvestEndpoint');
      await organisationProvider(context, input.providerId);
      const config = context.harvester.config;
      const url = checkEndpointUrl(input.url, config);
      const requiresToken = input.requiresToken ?? false;
      if (requiresToken && !config.client) {
        throw new UserError(
          'PRECONDITION_FAILED',
          'The gateway has no harvest client (HARVEST_CLIENT_ID) to obtain a token with; register the endpoint without requiresToken or configure one.',
        );
      }
      const endpoint = await registerEndpoint(context.db, {
        providerId: input.providerId,
        url,
        requiresToken,
        intervalSeconds: seconds(
          'intervalSeconds',
          input.intervalSeconds,
          config.defaultIntervalSeconds,
          604_800,
        ),
        fullSyncIntervalSeconds: seconds(
          'fullSyncIntervalSeconds',
          input.fullSyncIntervalSeconds,
          config.fullSyncIntervalSeconds,
          2_592_000,
        ),
        registeredBy: actor.principal.subject,
      });
      loaders(context).endpoint.clear(endpoint.provider_id).prime(endpoint.provider_id, endpoint);
      return endpoint;
    },
    setHarvestEndpointEnabled: async (_parent, { providerId, enabled }, context) => {
      await requireEndpointManager(context, providerId, 'setHarvestEndpointEnabled');
      const endpoint = await setEndpointEnabled(context.db, providerId, enabled);
      if (!endpoint) await existingEndpoint(context, providerId);
      return endpoint!;
    },
    harvestNow: async (_parent, { providerId, fullSync }, context) => {
      await requireEndpointManager(context, providerId, 'harvestNow');
      const endpoint = await existingEndpoint(context, providerId);
      if (!endpoint.enabled) {
        throw new UserError(
          'PRECONDITION_FAILED',
          `The harvest endpoint of "${providerId}" is paused; resume it with setHarvestEndpointEnabled first.`,
          { providerId },
        );
      }
      const run = await context.harvester.harvestNow(providerId, { fullSync: fullSync ?? false });
      loaders(context).endpoint.clear(providerId);
      return run;
    },
    confirmHeldHarvest: async (_parent, { runId }, context) => {
      const actor = await requireRole(context, 'coordinator', 'confirmHeldHarvest');
      return confirmHeldRun(context.db, runId, actor.principal.subject);
    },
  },

  HarvestEndpoint: {
    provider: (endpoint, _args, context) => organisationProvider(context, endpoint.provider_id),
    url: (endpoint) => endpoint.url,
    requiresToken: (endpoint) => endpoint.requires_token,
    intervalSeconds: (endpoint) => endpoint.interval_seconds,
    fullSyncIntervalSeconds: (endpoint) => endpoint.full_sync_interval_seconds,
    nextRunAt: (endpoint) => endpoint.next_run_at,
    lastHarvestedAt: (endpoint) => endpoint.last_harvested_at,
    lastFullSyncAt: (endpoint) => endpoint.last_full_sync_at,
    circuit: (endpoint, _args, context) => {
      if (pausedUntil(endpoint, context)) return 'OPEN';
      if (endpoint.consecutive_failures >= context.harvester.config.circuitFailureThreshold)
        return 'HALF_OPEN';
      return 'CLOSED';
    },
    consecutiveFailures: (endpoint) => endpoint.consecutive_failures,
    pausedUntil: (endpoint, _args, context) => pausedUntil(endpoint, context),
    runs: (endpoint, { first }, context) => {
      const n = first ?? 10;
      if (!Number.isInteger(n) || n < 1 || n > 100) {
        throw new UserError('BAD_USER_INPUT', `first must be 1 to 100, not ${n}.`, { field: 'first' });
      }
      return runsLoader(context, n).load(endpoint.provider_id);
    },
    heldRun: async (endpoint, _args, context) => {
      const latest = await loaders(context).latestFullSync.load(endpoint.provider_id);
      return latest?.status === 'HELD' && !latest.confirmed_at ? latest : null;
    },
    registeredAt: (endpoint) => endpoint.registered_at,
  },

  HarvestRun: {
    provider: async (run, _args, context) => {
      const organisation = await context.loaders.organisation.load(run.provider_id);
      if (!organisation) throw new Error(`harvest run ${run.id} has no provider row`);
      return organisation;
    },
    endpointUrl: (run) => run.endpoint_url,
    scheduledFor: (run) => run.scheduled_for,
    startedAt: (run) => run.started_at,
    finishedAt: (run) => run.finished_at,
    heldWithdrawals: (run) => run.held_withdrawals,
    errorCode: (run) => run.error_code,
    confirmedAt: (run) => run.confirmed_at,
    confirmedBy: (run) => run.confirmed_by,
  },

  Service: {
    lastHarvestedAt: async (service, _args, context) => {
      if (service.source !== 'HARVEST') return null;
      return (await loaders(context).endpoint.load(service.provider_id))?.last_harvested_at ?? null;
    },
  },
};
