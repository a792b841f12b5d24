import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { contentHash } from '../../catalog-schema/canonical-json.ts';

/** One listing document the node serves. */
export interface FolderListing {
  id: string;
  /** The file's modification time, to the millisecond: when the listing last changed. */
  updatedAt: Date;
  contentHash: string;
  document: Record<string, unknown>;
  file: string;
}

/** A file in the folder that is not served, and why. */
export interface UnreadableFile {
  file: string;
  reason: string;
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
  result: { listing: Omit<FolderListing, 'file'> } | { reason: string };
}

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
    for (const name of names) {
      const result = this.#file(name);
      if (!result) continue;
      if ('reason' in result) {
        unreadable.push({ file: name, reason: result.reason });
        continue;
      }
      const other = fileOfId.get(result.listing.id);
      if (other) {
        unreadable.push({ file: name, reason: `id ${result.listing.id} is already served from ${other}` });
        continue;
      }
      fileOfId.set(result.listing.id, name);
      listings.push({ ...result.listing, file: name });
    }
    for (const name of this.#cache.keys()) if (!names.includes(name)) this.#cache.delete(name);
    return { listings, unreadable };
  }

  #file(name: string): CachedFile['result'] | null {
    let stat;
    try {
      stat = statSync(join(this.#dir, name));
    } catch {
      return null; // removed between listing and reading
    }
    if (!stat.isFile()) return null;
    const cached = this.#cache.get(name);
    if (
      cached &&
      cached.mtimeMs === stat.mtimeMs &&
      cached.ctimeMs === stat.ctimeMs &&
      cached.ino === stat.ino &&
      cached.size === stat.size &&
      cached.readAt - stat.mtimeMs >= RACY_MS
    )
      return cached.result;
    const readAt = Date.now();
    const result = parseListingFile(join(this.#dir, name), new Date(Math.floor(stat.mtimeMs)));
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

function parseListingFile(path: string, updatedAt: Date): CachedFile['result'] {
  let document: unknown;
  try {
    const text = readFileSync(path, 'utf8');
    document = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    return { reason: `cannot be parsed: ${(error as Error).message.split('\n')[0]}` };
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    return { reason: 'is not a listing document (a JSON object)' };
  }
  const id = (document as { id?: unknown }).id;
  if (typeof id !== 'string' || id === '') return { reason: 'has no "id"' };
  // YAML dates and the like must not reach the hash as objects JSON cannot represent.
  const json = JSON.parse(JSON.stringify(document)) as Record<string, unknown>;
  return { listing: { id, updatedAt, contentHash: contentHash(json), document: json } };
}
