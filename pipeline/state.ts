/**
 * The state cache: remembers each file's digest under its (device, inode, size, mtime, ctime), so a file that has
 * not changed is never read again. Stored in `.pipeline/state.json`, written atomically.
 *
 * @module
 */
import { z } from "zod";
import { writeFileAtomic } from "./atomic.ts";

const stateEntrySchema = z.object({
  /** Stat token: dev:ino:size:mtime:ctime. */
  t: z.string(),
  /** Digest. */
  d: z.string(),
  /** When the entry was recorded (ms since epoch). */
  at: z.number(),
  /** mtime (ms), for the racy-timestamp guard. */
  m: z.number(),
});

type StateEntry = z.infer<typeof stateEntrySchema>;

const stateFileSchema = z.record(z.string(), stateEntrySchema);

/** A file whose mtime is this close to the moment it was hashed may still change within the same timestamp. */
const RACY_MS = 1000;

/** The stat token of a file. */
export function statToken(info: Deno.FileInfo): string {
  return `${info.dev}:${info.ino}:${info.size}:${info.mtime?.getTime()}:${info.ctime?.getTime()}`;
}

/**
 * Digests of unchanged files, keyed by root-relative path.
 *
 * @example
 * ```ts
 * const state = await StateCache.open(".pipeline/state.json");
 * const known = state.get("data/x.bin", await Deno.stat("data/x.bin"));
 * await state.save();
 * ```
 */
export class StateCache {
  #entries: Record<string, StateEntry>;
  #dirty = false;
  readonly #path: string;

  private constructor(path: string, entries: Record<string, StateEntry>, damaged: boolean) {
    this.#path = path;
    this.#entries = entries;
    this.#dirty = damaged;
  }

  /**
   * Load the cache at `path`; a missing, unreadable or wrongly shaped file starts empty (it is only a cache:
   * files are hashed again and the file is rebuilt on save).
   */
  static async open(path: string): Promise<StateCache> {
    try {
      const parsed = stateFileSchema.safeParse(JSON.parse(await Deno.readTextFile(path)));
      return new StateCache(path, parsed.success ? parsed.data : {}, !parsed.success);
    } catch (e) {
      return new StateCache(path, {}, !(e instanceof Deno.errors.NotFound));
    }
  }

  /** The digest recorded for `path` if its stat token still matches and the entry is not racy. */
  get(path: string, info: Deno.FileInfo): string | undefined {
    const e = this.#entries[path];
    if (!e || e.t !== statToken(info) || e.m + RACY_MS > e.at) return undefined;
    return e.d;
  }

  /** Record the digest of `path` as of `info`. */
  set(path: string, info: Deno.FileInfo, digest: string): void {
    this.#entries[path] = { t: statToken(info), d: digest, at: Date.now(), m: info.mtime?.getTime() ?? 0 };
    this.#dirty = true;
  }

  /** Write the cache if anything changed. */
  async save(): Promise<void> {
    if (!this.#dirty) return;
    await writeFileAtomic(this.#path, JSON.stringify(this.#entries));
    this.#dirty = false;
  }
}
