// The harvest pipeline's stages and the interfaces between them:
//   fetching/    reads an endpoint: ListingChanges (a full snapshot or a delta)
//   processing/  validates each document: ValidatedChanges
//   applying/    publishes and withdraws through the catalogue's write path: HarvestCounts
//   scheduling/  claims due endpoints (once across replicas) and runs them
//   store/       the endpoint and run tables
import type { Listing } from '../../catalog-schema/generated/listing.ts';
import type { ListingProblem } from '../../catalog-schema/validate-listing.ts';

export type HarvestMode = 'FULL' | 'INCREMENTAL';
export type HarvestTrigger = 'SCHEDULE' | 'MANUAL';
/**
 * RUNNING while claimed; SUCCEEDED; HELD when a full sync would withdraw too much (its other changes
 * are applied, the withdrawals wait for a coordinator); FAILED when the endpoint could not be read;
 * ABANDONED when its replica died or stopped and the claim went back.
 */
export type HarvestRunStatus = 'RUNNING' | 'SUCCEEDED' | 'HELD' | 'FAILED' | 'ABANDONED';

/** Where and how to read: the registered endpoint. */
export interface EndpointTarget {
  providerId: string;
  url: string;
  requiresToken: boolean;
}

/** One listing as an endpoint served it, before validation. */
export interface HarvestedEntry {
  /** The id the endpoint gave the entry; must match the document's own id. */
  id: string;
  document: unknown;
}

/**
 * What one read of an endpoint delivered (as Backstage's EntityProvider mutations): a full snapshot,
 * after which whatever is missing upstream is withdrawn, or a delta of changed listings only.
 * `asOf` is the endpoint's own clock: the next delta starts there.
 */
export type ListingChanges =
  | { type: 'full'; asOf: Date; entries: HarvestedEntry[] }
  | { type: 'delta'; asOf: Date; entries: HarvestedEntry[] };

/** Stage 1: reads an endpoint, page by page; `since` null means the full snapshot. */
export interface EndpointReader {
  read(target: EndpointTarget, since: Date | null, signal?: AbortSignal): Promise<ListingChanges>;
}

/** Why a listing of a run was not applied. */
export interface HarvestRejection {
  /** The provider-local id, when the entry had one. */
  localId: string | null;
  /** INVALID: fails the listing schema; CONFLICT: the id is owned by push. */
  code: 'INVALID' | 'CONFLICT';
  message: string;
  problems: ListingProblem[];
}

/** Stage 2's output: what may be applied, and what was refused. */
export interface ValidatedChanges {
  type: ListingChanges['type'];
  asOf: Date;
  fetched: number;
  accepted: Listing[];
  /** Every provider-local id the endpoint served, valid or not: a listing served but invalid is not "missing". */
  servedIds: Set<string>;
  rejections: HarvestRejection[];
}

/** Stage 3's output: the counts of a run's report. */
export interface HarvestCounts {
  fetched: number;
  created: number;
  updated: number;
  unchanged: number;
  withdrawn: number;
  rejected: number;
  rejections: HarvestRejection[];
  /** Set when a full sync's withdrawals are held for confirmation: the service ids it would withdraw. */
  heldWithdrawals: string[] | null;
}

/** Stable codes of a run that could not read its endpoint. */
export type HarvestFailureCode =
  | 'UNREACHABLE'
  | 'TIMEOUT'
  | 'RESPONSE_TOO_LARGE'
  | 'ADDRESS_REFUSED'
  | 'URL_REFUSED'
  | 'UNAUTHORIZED'
  | 'BAD_RESPONSE'
  | 'TOO_MANY_LISTINGS'
  | 'TOKEN_UNAVAILABLE'
  | 'INTERNAL';

/** A run that could not read its endpoint; `code` is what the run report shows. */
export class HarvestFailure extends Error {
  constructor(
    readonly code: HarvestFailureCode,
    message: string,
    /** Worth retrying within the run (a timeout, a 503), as opposed to a refusal or a bad answer. */
    readonly transient: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HarvestFailure';
  }
}
