/**
 * The run-cache: every distinct successful result of a stage, keyed by its stage key, under
 * `.pipeline/cache/runs/<key>/<entry digest>.json`. A stage whose key was seen before is restored from the newest
 * entry whose objects are all still in the cache, without running.
 *
 * @module
 */
import { writeFileAtomic } from "./atomic.ts";
import { canonicalJson, decodeNonFinite, sha256Hex } from "./canonical.ts";
import type { ObjectCache } from "./cache.ts";
import { type LockEntry, lockEntrySchema } from "./lock.ts";

/**
 * Run-cache entries.
 *
 * @example
 * ```ts
 * const runs = new RunCache(".pipeline/cache");
 * await runs.save(entry);
 * runs.find(entry.key, Object.keys(entry.outs), objects); // entry
 * ```
 */
export class RunCache {
  readonly #dir: string;
  readonly #makeDir: (dir: string) => Promise<void>;

  /** `makeDir` creates directories with the cache's permissions (see {@link ObjectCache.makeDir}). */
  constructor(
    cacheDir: string,
    makeDir: (dir: string) => Promise<void> = (dir) => Deno.mkdir(dir, { recursive: true }),
  ) {
    this.#dir = `${cacheDir}/runs`;
    this.#makeDir = makeDir;
  }

  /** Keep `entry` (idempotent: one file per distinct result). */
  async save(entry: LockEntry): Promise<void> {
    await this.saveText(entry.key, canonicalJson(entry));
  }

  /** Keep an entry given as its canonical JSON text (as fetched from a remote); its file is named by its hash. */
  async saveText(key: string, text: string): Promise<void> {
    await this.#makeDir(`${this.#dir}/${key}`);
    await writeFileAtomic(`${this.#dir}/${key}/${sha256Hex(text)}.json`, text);
  }

  /** The file of each stored entry as `runs/<key>/<name>.json`, relative to the cache directory. */
  *keys(): Generator<string> {
    for (const { file } of this.all()) yield file.slice(this.#dir.length - "runs".length);
  }

  /** The text of a stored entry, by its key relative to the cache directory. */
  readText(rel: string): string {
    return Deno.readTextFileSync(`${this.#dir.slice(0, -"runs".length)}${rel}`);
  }

  /**
   * The newest entry for `key` that records exactly the out paths `outs` (as every genuine entry of that key
   * does) and whose output objects are all present, if any.
   */
  find(key: string, outs: readonly string[], objects: ObjectCache): LockEntry | undefined {
    const want = [...outs].sort().join("\0");
    return this.entries(key).find((e) =>
      e.key === key && Object.keys(e.outs).sort().join("\0") === want &&
      Object.values(e.outs).every((o) => objects.hasAll(o))
    );
  }

  /** All valid entries for `key`, newest first (damaged ones are skipped: a cache miss; gc removes them). */
  entries(key: string): LockEntry[] {
    const dir = `${this.#dir}/${key}`;
    let names: string[];
    try {
      names = [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".json")).map((e) => e.name);
    } catch {
      return [];
    }
    return names
      .map((n) => ({ path: `${dir}/${n}`, mtime: Deno.statSync(`${dir}/${n}`).mtime?.getTime() ?? 0 }))
      .sort((a, b) => b.mtime - a.mtime)
      .flatMap((f) => {
        const entry = readEntry(f.path);
        return entry ? [entry] : [];
      });
  }

  /** Every stored entry, with the file that holds it. */
  *all(): Generator<{ file: string; entry: LockEntry }> {
    let keys: Deno.DirEntry[];
    try {
      keys = [...Deno.readDirSync(this.#dir)];
    } catch {
      return;
    }
    for (const k of keys) {
      for (const f of Deno.readDirSync(`${this.#dir}/${k.name}`)) {
        const file = `${this.#dir}/${k.name}/${f.name}`;
        // A damaged entry is yielded without outs, so gc counts it as incomplete and removes it.
        yield { file, entry: readEntry(file) ?? { key: k.name, cmd: [], deps: {}, params: {}, outs: {} } };
      }
    }
  }
}

/** A run-cache entry checked against the lock's schema; undefined when unreadable, not JSON or of the wrong shape. */
function readEntry(path: string): LockEntry | undefined {
  try {
    const parsed = lockEntrySchema.safeParse(decodeNonFinite(JSON.parse(Deno.readTextFileSync(path))));
    return parsed.success ? parsed.data as LockEntry : undefined;
  } catch {
    return undefined;
  }
}
