/** A cached GraphQL response: exactly the bytes and headers the gateway sent the first time. */
export interface CachedResponse {
  headers: [string, string][];
  body: Buffer;
  /** When the entry must be dropped (ms since the epoch), change or not. */
  expiresAt: number;
}

/**
 * Proof that a request started while the cache was valid: a response may only be stored if no
 * catalogue change was seen between the ticket and the store (see `store`).
 */
export type CacheTicket = number;

export interface ResponseCacheOptions {
  /** Upper bound of the cached bodies' total size in bytes; the least recently used go first. */
  maxBytes: number;
}

/**
 * The gateway's in-memory response cache: whole GraphQL responses by key, dropped all at once when
 * the catalogue changes (any table a response can read; see README.md). Entries also carry an
 * expiry: the configured time-to-live, or earlier where a resolver said its answer depends on the
 * clock (`cacheResponseUntil`).
 *
 * The race it closes: a request reads the catalogue, a write commits, the change is announced, and
 * only then does the request try to store what it read. Every request takes a ticket (the current
 * generation) before it reads; `invalidate` moves to the next generation; `store` refuses a
 * response whose ticket is from an earlier one. So a response read before a change is either
 * refused or, if stored before the change was announced, cleared by that announcement.
 */
export class ResponseCache {
  readonly #maxBytes: number;
  readonly #maxEntryBytes: number;
  readonly #entries = new Map<string, CachedResponse>();
  #bytes = 0;
  #generation = 0;
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
    if (!this.#enabled) return undefined;
    const entry = this.#entries.get(key);
    if (entry === undefined || entry.expiresAt <= Date.now()) {
      if (entry) this.#remove(key, entry);
      this.#misses++;
      return undefined;
    }
    this.#hits++;
    // Map keeps insertion order: re-inserting makes this the most recently used entry.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry;
  }

  /** A ticket for a request about to read the catalogue, or null when the cache is off. */
  ticket(): CacheTicket | null {
    return this.#enabled ? this.#generation : null;
  }

  /** Stores a response read under `ticket`, unless the catalogue changed since. Returns whether it did. */
  store(ticket: CacheTicket, key: string, response: CachedResponse): boolean {
    if (!this.#enabled || ticket !== this.#generation) return false;
    const size = response.body.length + key.length;
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
    this.#bytes -= entry.body.length + key.length;
  }

  /** Drops every entry and refuses responses read before now. */
  invalidate(): void {
    this.#generation++;
    this.#invalidations++;
    this.#entries.clear();
    this.#bytes = 0;
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
