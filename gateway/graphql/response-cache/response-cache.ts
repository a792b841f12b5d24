/** A cached GraphQL response: exactly the bytes and headers the gateway sent the first time. */
export interface CachedResponse {
  headers: [string, string][];
  body: Buffer;
  /** When the entry must be dropped (ms since the epoch), change or not. */
  expiresAt: number;
  /** The watched tables its request's SQL statements named: a change to any of them drops it. */
  tables: ReadonlySet<string>;
}

/**
 * What an entry holds besides its body and key: the entry object, its headers, its Set of tables,
 * the Buffer's own object and the map's slot. Measured: 479,349 answers of 80 bytes each, stored
 * through the HTTP handler, took 393 MiB, about 860 bytes each. Counted, the many small answers an
 * anonymous caller can produce (one per id asked for) stay within `maxBytes` of real memory.
 */
const ENTRY_OVERHEAD_BYTES = 768;

/** The memory an entry is counted with against `maxBytes`. */
function entryBytes(key: string, response: CachedResponse): number {
  return response.body.length + key.length + ENTRY_OVERHEAD_BYTES;
}

/**
 * Proof that a request started while the cache was valid: a response may only be stored if no
 * change to a table it read was seen between the ticket and the store (see `store`).
 */
export type CacheTicket = number;

export interface ResponseCacheOptions {
  /** Upper bound of the cached entries' total size in bytes (bodies, keys and a fixed overhead each); the least recently used go first. */
  maxBytes: number;
}

/**
 * The gateway's in-memory response cache: whole GraphQL responses by key, each dropped when a table
 * it was read from changes (see README.md), or all at once. Entries also carry an expiry: the
 * configured time-to-live, or earlier where a resolver said its answer depends on the clock
 * (`cacheResponseUntil`).
 *
 * The race it closes: a request reads the catalogue, a write commits, the change is announced, and
 * only then does the request try to store what it read. Every request takes a ticket (the number of
 * changes announced so far) before it reads; each announced change is numbered; `store` refuses a
 * response if a table it read, or everything, changed after its ticket. So a response read before
 * a change is either refused or, if stored before the change was announced, dropped by that
 * announcement.
 */
export class ResponseCache {
  readonly #maxBytes: number;
  readonly #maxEntryBytes: number;
  readonly #entries = new Map<string, CachedResponse>();
  #bytes = 0;
  /** Changes announced so far; a ticket is this number at the start of a request. */
  #changes = 0;
  /** The number of the last change of everything. */
  #everythingChangedAt = 0;
  /** The number of each watched table's last change. */
  readonly #tableChangedAt = new Map<string, number>();
  /** Keys whose response a request is computing now; resolved when it has offered it to `store`. */
  readonly #inFlight = new Map<string, Promise<void>>();
  #watchedTables: ReadonlySet<string> = new Set();
  #enabled = false;
  #hits = 0;
  #misses = 0;
  #invalidations = 0;

  constructor(options: ResponseCacheOptions) {
    this.#maxBytes = options.maxBytes;
    // One response may not push out everything else.
    this.#maxEntryBytes = Math.max(1, Math.floor(options.maxBytes / 16));
  }

  /** Whether the cache answers and stores; off while changes could go unnoticed. */
  get enabled(): boolean {
    return this.#enabled;
  }

  /** Turns the cache on (dropping anything older) or off, e.g. while the change feed is down. */
  setEnabled(enabled: boolean): void {
    this.invalidate();
    this.#enabled = enabled;
  }

  /** The cached response for `key`, or undefined. */
  get(key: string): CachedResponse | undefined {
    return this.#lookup(key, true);
  }

  /**
   * The cached response for `key` once the request in flight for it (`lead`) has finished, or
   * undefined when it stored none (an error, a change while it read, the cache turned off). Its
   * miss was counted when the waiting request first looked.
   */
  async afterLeader(key: string): Promise<CachedResponse | undefined> {
    const leader = this.#inFlight.get(key);
    if (leader === undefined) return undefined;
    await leader;
    return this.#lookup(key, false);
  }

  /** Whether a request for `key` is computing the response that others may wait for. */
  hasLeader(key: string): boolean {
    return this.#inFlight.has(key);
  }

  /**
   * Marks a request that missed as the one computing `key`'s response: requests for the same key
   * that miss meanwhile wait for it (`afterLeader`) instead of running the same reads at the same
   * time, as every caller of a popular query would when its entry expires or a write drops it. The
   * returned function ends the flight; call it once the response was offered to `store`, on every
   * path. A second request leading the same key gets a function that does nothing.
   */
  lead(key: string): () => void {
    if (this.#inFlight.has(key)) return () => {};
    let land!: () => void;
    this.#inFlight.set(key, new Promise<void>((resolve) => (land = resolve)));
    return () => {
      this.#inFlight.delete(key);
      land();
    };
  }

  #lookup(key: string, countMiss: boolean): CachedResponse | undefined {
    if (!this.#enabled) return undefined;
    const entry = this.#entries.get(key);
    if (entry === undefined || entry.expiresAt <= Date.now()) {
      if (entry) this.#remove(key, entry);
      if (countMiss) this.#misses++;
      return undefined;
    }
    this.#hits++;
    // Map keeps insertion order: re-inserting makes this the most recently used entry.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry;
  }

  /**
   * The tables whose changes are announced one by one (`invalidateTable`): what a request records
   * of the tables it reads. A change to any other table must be announced with `invalidate`.
   */
  get watchedTables(): ReadonlySet<string> {
    return this.#watchedTables;
  }

  set watchedTables(tables: ReadonlySet<string>) {
    this.#watchedTables = new Set(tables);
  }

  /** A ticket for a request about to read the catalogue, or null when the cache is off. */
  ticket(): CacheTicket | null {
    return this.#enabled ? this.#changes : null;
  }

  /**
   * Stores a response read under `ticket`, unless everything or one of the tables it was read from
   * changed since. Returns whether it did.
   */
  store(ticket: CacheTicket, key: string, response: CachedResponse): boolean {
    if (!this.#enabled || this.#everythingChangedAt > ticket) return false;
    for (const table of response.tables) {
      if ((this.#tableChangedAt.get(table) ?? 0) > ticket) return false;
    }
    const size = entryBytes(key, response);
    if (size > this.#maxEntryBytes || response.expiresAt <= Date.now()) return false;
    const previous = this.#entries.get(key);
    if (previous) this.#remove(key, previous);
    this.#entries.set(key, response);
    this.#bytes += size;
    for (const [oldKey, old] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#remove(oldKey, old);
    }
    return true;
  }

  #remove(key: string, entry: CachedResponse): void {
    this.#entries.delete(key);
    this.#bytes -= entryBytes(key, entry);
  }

  /** Drops every entry and refuses responses read before now. */
  invalidate(): void {
    this.#everythingChangedAt = ++this.#changes;
    this.#invalidations++;
    this.#entries.clear();
    this.#bytes = 0;
  }

  /**
   * Drops the entries read from `table` and refuses such responses read before now; a table that is
   * not watched (its reads are not recorded) drops everything.
   */
  invalidateTable(table: string): void {
    if (!this.#watchedTables.has(table)) return this.invalidate();
    this.#tableChangedAt.set(table, ++this.#changes);
    this.#invalidations++;
    for (const [key, entry] of this.#entries) {
      if (entry.tables.has(table)) this.#remove(key, entry);
    }
  }

  /** Counters for /metrics and tests. */
  stats(): { entries: number; bytes: number; hits: number; misses: number; invalidations: number } {
    return {
      entries: this.#entries.size,
      bytes: this.#bytes,
      hits: this.#hits,
      misses: this.#misses,
      invalidations: this.#invalidations,
    };
  }
}
