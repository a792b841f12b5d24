// The benchmark's scenarios. Each is a set of GraphQL requests that the load generator sends in
// rotation, and the baseline it is compared with. A scenario is added by appending to `scenarios`.
// A scenario whose requests depend on each other's answers (subscribe, then cancel) runs as chains.
import type { GraphQLSchema } from 'graphql';
import { referenceData } from '../catalog-schema/reference-data.ts';
import { listSetting } from '../gateway/env-settings.ts';
import type { Chain } from './drive-sequence.ts';
import type { BenchSubscriber } from './subscription-setup.ts';

/** A scenario-4 client: its authority, signed in at the benchmark's identity provider. */
export type SignedInSubscriber = BenchSubscriber & { accessToken: string };

/** sql: baseline (a), the gateway's SQL statements over `pg`; static: baseline (b), a fixed body; none: no baseline. */
export type BaselineKind = 'sql' | 'static' | 'none';

export interface BenchRequest {
  /** The exact JSON body sent to /graphql. */
  body: string;
  /** Extra HTTP headers, for example a caller's credentials. */
  headers?: Record<string, string>;
}

/** The scenarios' names, in the order they run. */
export const SCENARIO_NAMES = ['search', 'detail', 'repeated search', 'subscribe and cancel'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export interface Scenario {
  name: ScenarioName;
  description: string;
  baseline: BaselineKind;
  /** Whether the gateway runs with its response cache (the uncached read path is measured without). */
  responseCache: boolean;
  /** Independent requests, sent by autocannon in rotation. */
  requests: BenchRequest[];
  /** Instead of `requests`: one chain of dependent requests per client (drive-sequence.ts). */
  chains?: Chain[];
}

/** German search words from the LeiKa names, each paired with one filter. */
export const SEARCH_TERMS = [
  'Genehmigung',
  'Erlaubnis',
  'Anerkennung',
  'Eintragung',
  'Zulassung',
  'Bescheinigung',
  'Förderung',
  'Anmeldung',
  'Führerschein',
  'Waffen',
  'Aufenthaltserlaubnis',
  'Wohngeld',
  'Hund',
  'Gewerbe',
  'Fischerei',
  'Schule',
  'Abfall',
  'Steuer',
  'Kinder',
  'Rente',
] as const;

function filters(): Record<string, unknown>[] {
  const themenfeld = [...referenceData().themenfelder.keys()].sort();
  return [
    { land: ['DE-BY'] },
    { operatingModel: ['SAAS'] },
    { efa: true },
    { schutzbedarf: 'HIGH' },
    { themenfeld: [themenfeld[0]] },
  ];
}

export const SEARCH_QUERY = `query Search($search: String!, $filter: ServiceFilter) {
  services(search: $search, filter: $filter, first: 20) {
    totalCount
    facets {
      themenfeld { value label count }
      provider { value label count }
      land { value label count }
      operatingModel { value label count }
    }
    edges { node { id title summary provider { id name } } }
  }
}`;

function detailQuery(schema: GraphQLSchema): string {
  const service = schema.getType('Service');
  const fields = service && 'getFields' in service ? service.getFields() : {};
  // certification is part of the detail once the certification module provides it
  const certification = 'certification' in fields ? ' certification { status validUntil }' : '';
  return `query Detail($id: ID!) {
  service(id: $id) {
    id title summary description version status
    provider { id name land { name } }
    ozgLeistungen { id name themenfeld { name } }
    plans { id name pricingModel priceEur terms }${certification}
  }
}`;
}

const json = (query: string, variables: Record<string, unknown>) => JSON.stringify({ query, variables });

/** How many services the detail scenario asks for in turn. */
export const DETAIL_SERVICES = 200;

/** Every how many of the detail scenario's services is certified (run.ts), so that its certification resolves to both. */
export const DETAIL_CERTIFIED_EVERY = 4;

/** Service ids spread over the whole catalogue, fixed for a given size. */
export function detailIds(listingIds: readonly string[], count: number): string[] {
  const step = Math.max(1, Math.floor(listingIds.length / count));
  return Array.from(
    { length: Math.min(count, listingIds.length) },
    (_, i) => listingIds[(i * step + 7) % listingIds.length]!,
  );
}

const SUBSCRIBE = `mutation Subscribe($serviceId: ID!, $planId: ID!, $key: String!) {
  subscribe(serviceId: $serviceId, planId: $planId, idempotencyKey: $key) { id state }
}`;
const CANCEL = `mutation Cancel($id: ID!) {
  cancelSubscription(id: $id, reason: "Benchmark: wieder gekündigt") { id state }
}`;

/** A client's chain for scenario 4: subscribe (a fresh idempotency key each time), then cancel that subscription. */
export function subscribeAndCancel(subscriber: SignedInSubscriber, run: string): Chain {
  const headers = { authorization: `Bearer ${subscriber.accessToken}` };
  let count = 0;
  return (previous, step) => {
    if (step === 0) {
      const key = `bench-${run}-${++count}`;
      return {
        headers,
        body: json(SUBSCRIBE, { serviceId: subscriber.serviceId, planId: subscriber.planId, key }),
      };
    }
    if (step === 1) {
      const id = (previous as { data?: { subscribe?: { id?: string } } }).data?.subscribe?.id;
      return id ? { headers, body: json(CANCEL, { id }) } : null;
    }
    return null;
  };
}

/**
 * Reads BENCH_SCENARIOS: comma-separated scenario names, or nothing for all of them. Throws for a
 * name that is not a scenario's, before anything is loaded.
 */
export function scenarioNames(value: string | undefined): readonly ScenarioName[] {
  const names = listSetting(value);
  const unknown = names.filter((name) => !isScenarioName(name));
  if (unknown.length > 0)
    throw new Error(
      `BENCH_SCENARIOS names no scenario ${unknown.map((n) => JSON.stringify(n)).join(', ')}; the scenarios are ${SCENARIO_NAMES.map((n) => JSON.stringify(n)).join(', ')}`,
    );
  return names as ScenarioName[];
}

function isScenarioName(name: string): name is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(name);
}

/** The scenarios named (all of them when none is), in their own order. */
export function selectScenarios(all: Scenario[], names: readonly ScenarioName[]): Scenario[] {
  return names.length === 0 ? all : all.filter((scenario) => names.includes(scenario.name));
}

/**
 * The scenarios measured in this run, for a catalogue with these service ids; with `subscribers`
 * (one per client), scenario 4 too.
 */
export function scenarios(
  schema: GraphQLSchema,
  serviceIds: readonly string[],
  subscribers: readonly SignedInSubscriber[] = [],
): Scenario[] {
  const filterList = filters();
  const searches = SEARCH_TERMS.flatMap((term, i) =>
    [0, 1].map((k) => ({
      body: json(SEARCH_QUERY, { search: term, filter: filterList[(i + k * 2) % filterList.length] }),
    })),
  );
  const detail = detailQuery(schema);
  return [
    {
      name: 'search',
      description:
        'a German search word from a fixed list of 20 with one filter (40 combinations in rotation), first 20, all four facets, each node with its provider',
      baseline: 'sql',
      responseCache: false,
      requests: searches,
    },
    {
      name: 'detail',
      description: `one service (200 ids in rotation) with its provider, OZG-Leistungen, plans${detail.includes('certification') ? ' and certification' : ''}`,
      baseline: 'sql',
      responseCache: false,
      requests: detailIds(serviceIds, DETAIL_SERVICES).map((id) => ({ body: json(detail, { id }) })),
    },
    {
      name: 'repeated search',
      description: 'the same search again and again (a portal landing page), through the response cache',
      baseline: 'static',
      responseCache: true,
      requests: [{ body: json(SEARCH_QUERY, { search: 'Antrag', filter: { land: ['DE-SH'] } }) }],
    },
    ...(subscribers.length > 0
      ? ([
          {
            name: 'subscribe and cancel',
            description:
              'authorities (one organisation per client) subscribe to a plan of a certified service and cancel that subscription again, each a request of its own; no baseline (writes with fresh ids and keys cannot be replayed)',
            baseline: 'none' as const,
            responseCache: true,
            requests: [],
            chains: subscribers.map((s) => subscribeAndCancel(s, Date.now().toString(36))),
          },
        ] satisfies Scenario[])
      : []),
  ];
}
