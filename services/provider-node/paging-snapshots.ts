import { randomBytes } from 'node:crypto';
import type { FolderListing } from './listing-folder.ts';

/** What the first page of a paging sequence read: the matching listings in page order. */
export interface PagingSnapshot {
  /** Names the snapshot in the sequence's cursors; unique to this snapshot, also across restarts. */
  token: string;
  /** The `updatedSince` of the sequence (epoch ms), or null for a full snapshot. */
  since: number | null;
  /** The `asOf` its first page answered: its later pages answer the same. */
  asOf: Date;
  listings: readonly FolderListing[];
  /** When it was taken (Date.now()). */
  takenAt: number;
}

/**
 * The folder as the first page of each recent paging sequence read it, so that its further pages
 * come from the same read instead of listing the folder and checking every file's times again: a
 * harvest of n listings in pages of 100 read the folder n/100 times, each read as costly as the
 * folder is large.
 *
 * A sequence's later pages are served from its own snapshot only, never from another sequence's: a
 * sequence that began later answered a later `asOf`, and its harvester takes the changes before that
 * time as read; an older snapshot would not hold them, and they would never be harvested. A file
 * changed after the snapshot is in the next incremental harvest (it changed after the `asOf`). A
 * snapshot that is gone (too old, or pushed out by newer ones) is replaced by a fresh read, which is
 * what every page did before; the cursor's position applies to either.
 */
export class PagingSnapshots {
  readonly #max: number;
  readonly #ttlMs: number;
  /** In the order they were taken, oldest first. */
  readonly #byToken = new Map<string, PagingSnapshot>();
  /** Random per process, so that a token from before a restart names no snapshot after it. */
  readonly #prefix = randomBytes(6).toString('base64url');
  #taken = 0;

  constructor(options: { max: number; ttlMs: number }) {
    this.#max = options.max;
    this.#ttlMs = options.ttlMs;
  }

  /** Keeps a first page's read; the oldest goes once more than `max` are kept. */
  add(since: number | null, asOf: Date, listings: readonly FolderListing[], now: number): PagingSnapshot {
    const snapshot = { token: `${this.#prefix}.${++this.#taken}`, since, asOf, listings, takenAt: now };
    this.#byToken.set(snapshot.token, snapshot);
    for (const token of this.#byToken.keys()) {
      if (this.#byToken.size <= this.#max) break;
      this.#byToken.delete(token);
    }
    return snapshot;
  }

  /** The snapshot of this token for this `updatedSince`, if it is still kept and not too old. */
  get(token: string, since: number | null, now: number): PagingSnapshot | undefined {
    const snapshot = this.#byToken.get(token);
    if (!snapshot) return undefined;
    if (now - snapshot.takenAt > this.#ttlMs) {
      this.#byToken.delete(token);
      return undefined;
    }
    return snapshot.since === since ? snapshot : undefined;
  }
}
