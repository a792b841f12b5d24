import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { contentHash } from '../../catalog-schema/canonical-json.ts';
import { isJsonObject } from '../../catalog-schema/json-object.ts';

/** One listing document the node serves. */
export interface FolderListing {
  id: string;
  /**
   * When the listing last changed, to the millisecond: the later of the file's modification time and
   * its change time. A file moved or copied in with its old modification time (`mv`, `cp -p`,
   * `rsync -a`, `tar x`) gets a new change time, so an incremental harvest does not pass it over.
   */
  updatedAt: Date;
  contentHash: string;
  document: Record<string, unknown>;
  file: string;
}

/**
 * A file in the folder that cannot be read, and why. Until it can be read again, the listing it last
 * held (if the node read it since it started) is served as it was: `servingLastReadable`.
 */
export interface UnreadableFile {
  file: string;
  reason: string;
  servingLastReadable: boolean;
}

export interface FolderSnapshot {
  listings: FolderListing[];
  unreadable: UnreadableFile[];
}

const EXTENSIONS = new Set(['.json', '.yaml', '.yml']);

interface CachedFile {
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  size: number;
  /** When the file was read (Date.now(), taken before reading). */
  readAt: number;
  result: FileResult;
}

type FileListing = Omit<FolderListing, 'file'>;

/** A file's listing, or why it cannot be read and the listing it held when it last could. */
type FileResult = { listing: FileListing } | { reason: string; lastReadable: FileListing | null };

/**
 * How long after its modification time a file is read again on every request, its cache entry not
 * trusted. File system timestamps are coarse (about 4 ms on Linux): a file saved twice within one
 * tick, at the same size, looks unchanged, and its second content would never be served. Once a
 * file was read this long after its modification time, any later save changes the time. (Git calls
 * such entries "racily clean".)
 */
const RACY_MS = 2000;

/**
 * A folder of listing documents, one per file (JSON or YAML). Each read lists the folder again and
 * parses only files whose modification time, change time, inode or size changed (or that changed
 * too shortly before they were read, see RACY_MS), so an edited, added or removed file is served on
 * the next request without a restart.
 */
export class ListingFolder {
  readonly #dir: string;
  readonly #cache = new Map<string, CachedFile>();

  constructor(dir: string) {
    this.#dir = dir;
    // Fail at start, not on the first request, when the folder does not exist.
    readdirSync(dir);
  }

  read(): FolderSnapshot {
    const names = readdirSync(this.#dir)
      .filter((name) => !name.startsWith('.') && EXTENSIONS.has(extname(name).toLowerCase()))
      .sort();
    const listings: FolderListing[] = [];
    const unreadable: UnreadableFile[] = [];
    const fileOfId = new Map<string, string>();
    const serve = (name: string, listing: FileListing): string | null => {
      const other = fileOfId.get(listing.id);
      if (other) return other;
      fileOfId.set(listing.id, name);
      listings.push({ ...listing, file: name });
      return null;
    };
    const broken: { name: string; reason: string; lastReadable: FileListing | null }[] = [];
    for (const name of names) {
      const result = this.#file(name);
      if (!result) continue;
      if ('reason' in result) {
        broken.push({ name, ...result });
        continue;
      }
      const other = serve(name, result.listing);
      if (other) {
        const reason = `id ${result.listing.id} is already served from ${other}`;
        unreadable.push({ file: name, reason, servingLastReadable: false });
      }
    }
    // A file caught half-written, or saved with a typo, must not make a full harvest withdraw its
    // listing: the version last read is served until the file can be read again, unless a readable
    // file holds that id now (its current content wins over an old copy).
    for (const { name, reason, lastReadable } of broken) {
      const serving = lastReadable !== null && serve(name, lastReadable) === null;
      unreadable.push({ file: name, reason, servingLastReadable: serving });
    }
    unreadable.sort((x, y) => (x.file < y.file ? -1 : x.file > y.file ? 1 : 0));
    // Files gone from the folder leave the cache (a Set: a scan of the names per cached file made a
    // read quadratic in the folder's size, 0.28 s for 10,000 files).
    const present = new Set(names);
    for (const name of this.#cache.keys()) if (!present.has(name)) this.#cache.delete(name);
    return { listings, unreadable };
  }

  #file(name: string): FileResult | null {
    let stat;
    try {
      stat = statSync(join(this.#dir, name));
    } catch {
      return null; // removed between listing and reading
    }
    if (!stat.isFile()) return null;
    const changedMs = Math.max(stat.mtimeMs, stat.ctimeMs);
    const cached = this.#cache.get(name);
    if (
      cached &&
      cached.mtimeMs === stat.mtimeMs &&
      cached.ctimeMs === stat.ctimeMs &&
      cached.ino === stat.ino &&
      cached.size === stat.size &&
      cached.readAt - changedMs >= RACY_MS
    )
      return cached.result;
    const readAt = Date.now();
    const parsed = parseListingFile(join(this.#dir, name), new Date(Math.floor(changedMs)));
    const result: FileResult =
      'listing' in parsed
        ? parsed
        : {
            reason: parsed.reason,
            lastReadable: cached
              ? 'listing' in cached.result
                ? cached.result.listing
                : cached.result.lastReadable
              : null,
          };
    this.#cache.set(name, {
      mtimeMs: stat.mtimeMs,
      ctimeMs: stat.ctimeMs,
      ino: stat.ino,
      size: stat.size,
      readAt,
      result,
    });
    return result;
  }
}

function parseListingFile(path: string, updatedAt: Date): { listing: FileListing } | { reason: string } {
  let document: unknown;
  try {
    const text = readFileSync(path, 'utf8');
    document = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    return { reason: `cannot be parsed: ${(error as Error).message.split('\n')[0]}` };
  }
  if (!isJsonObject(document)) {
    return { reason: 'is not a listing document (a JSON object)' };
  }
  const id = (document as { id?: unknown }).id;
  if (typeof id !== 'string' || id === '') return { reason: 'has no "id"' };
  // YAML dates and the like must not reach the hash as objects JSON cannot represent.
  const json = JSON.parse(JSON.stringify(document)) as Record<string, unknown>;
  return { listing: { id, updatedAt, contentHash: contentHash(json), document: json } };
}
