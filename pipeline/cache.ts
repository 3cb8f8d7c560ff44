/**
 * The content-addressed object cache under `.pipeline/cache/objects/`: one read-only file per digest
 * (`ab/cdef…`), directory manifests stored like files. Outputs are committed into it after a stage runs and
 * checked out of it (verified against their digest first) to restore a stage without running it.
 *
 * @module
 */
import { dirname } from "node:path";
import { PipelineError } from "./errors.ts";
import { digestBytes, hashFileStreaming } from "./file_digest.ts";
import { dirManifest, type Hasher, type ManifestRow, parseManifest, type TreeNode } from "./hash.ts";
import { faultPoint } from "./fault.ts";
import { forEachLimited } from "./limited.ts";

/** Objects hashed or copied at once by a checkout (bounds open files). */
const CHECKOUT_JOBS = 8;

/** A cache object whose bytes no longer match its digest; it has been removed. */
export class DamagedObjectError extends PipelineError {
  constructor(readonly digest: string, readonly path: string, how = "is damaged on disk; it was removed") {
    super(`cache object ${digest.slice(0, 12)} (for '${path}') ${how}`);
  }
}

/** What the lock records of an output or dep: its digest and size; `nfiles` only for directories. */
export interface Digested {
  readonly digest: string;
  readonly size: number;
  readonly nfiles?: number;
}

/** Whether a recorded digest is a directory's. */
export function isDirDigest(d: Digested): boolean {
  return d.nfiles !== undefined;
}

/**
 * The object store.
 *
 * @example
 * ```ts
 * const cache = new ObjectCache("/proj/.pipeline/cache");
 * await cache.commit("/proj", "outputs/model", node);
 * await cache.checkout("/proj", "outputs/model", { digest: node.digest, size: node.size, nfiles: 2 }, hasher);
 * ```
 */
export class ObjectCache {
  readonly dir: string;
  /** Whether directories are made group-writable and setgid (`cache.shared: group`). */
  readonly groupShared: boolean;
  /** Directories known to exist (objects/ab/…), so storing many objects does not mkdir each time. */
  readonly #made = new Set<string>();
  /**
   * Objects whose bytes this process has hashed and found right (on arrival from a remote, or by an earlier
   * checkout's check), so a checkout right after a fetch does not hash everything a second time.
   */
  readonly #verified = new Set<string>();

  constructor(dir: string, opts: { groupShared?: boolean } = {}) {
    this.dir = dir;
    this.groupShared = opts.groupShared ?? false;
  }

  /** Path of the object with `digest`. */
  objectPath(digest: string): string {
    return `${this.dir}/objects/${digest.slice(0, 2)}/${digest.slice(2)}`;
  }

  /** Whether the object exists (not verified). */
  has(digest: string): boolean {
    try {
      Deno.statSync(this.objectPath(digest));
      return true;
    } catch {
      return false;
    }
  }

  /** Whether every object of a recorded output is present: the file, or the manifest tree and all its files. */
  hasAll(d: Digested): boolean {
    if (!this.has(d.digest)) return false;
    if (!isDirDigest(d)) return true;
    const rows = this.#rows(d.digest);
    return rows !== undefined &&
      rows.every(([, type, digest, size]) =>
        this.hasAll({ digest, size, nfiles: type === "dir" ? 0 : undefined })
      );
  }

  /** Store a workspace file or directory tree (already hashed as `node`). */
  async commit(root: string, rel: string, node: TreeNode): Promise<void> {
    if (node.type === "file") {
      if (!this.has(node.digest)) {
        await this.#store(node.digest, (tmp) => Deno.copyFile(`${root}/${rel}`, tmp));
      }
      return;
    }
    for (const [name, child] of node.entries) await this.commit(root, `${rel}/${name}`, child);
    if (!this.has(node.digest)) {
      const manifest = dirManifest(node.entries);
      await this.#store(node.digest, (tmp) => Deno.writeTextFile(tmp, manifest));
    }
  }

  /**
   * Put a recorded output back into the workspace at `rel`, replacing what is there. Every object is verified
   * first; a damaged one is removed and a {@link DamagedObjectError} thrown, leaving the workspace untouched.
   */
  async checkout(root: string, rel: string, d: Digested, hasher: Hasher): Promise<void> {
    const files: { digest: string; rel: string }[] = [];
    const dirs: string[] = [];
    await this.#verifyTree(d, rel, files, dirs);
    const target = `${root}/${rel}`;
    const tmp = `${target}.pipeline-checkout`;
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    await Deno.mkdir(dirname(target), { recursive: true });
    const at = (inner: string) => tmp + inner.slice(rel.length);
    for (const dir of dirs) await Deno.mkdir(at(dir));
    await forEachLimited(files, CHECKOUT_JOBS, async (f) => {
      await Deno.copyFile(this.objectPath(f.digest), at(f.rel));
      await Deno.chmod(at(f.rel), 0o644);
    });
    await Deno.remove(target, { recursive: true }).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });
    await Deno.rename(tmp, target);
    for (const f of files) hasher.remember(f.rel, f.digest);
  }

  /** The digest of a file inside a recorded directory output, or undefined if it is not there. */
  digestInside(d: Digested, inner: string): Digested | undefined {
    let cur: Digested = d;
    for (const name of inner.split("/")) {
      if (!isDirDigest(cur) || !this.has(cur.digest)) return undefined;
      const row = this.#rows(cur.digest)?.find((r) => r[0] === name);
      if (!row) return undefined;
      cur = { digest: row[2], size: row[3], nfiles: row[1] === "dir" ? 0 : undefined };
    }
    return cur;
  }

  /** The rows `[name, type, digest, size]` of a cached directory manifest; undefined when absent or damaged. */
  manifest(digest: string): ManifestRow[] | undefined {
    return this.#rows(digest);
  }

  /** Every digest referenced by a recorded output (its manifests and files), for garbage collection. */
  referenced(d: Digested, into: Set<string>): void {
    into.add(d.digest);
    if (!isDirDigest(d) || !this.has(d.digest)) return;
    for (const [, type, digest, size] of this.#rows(d.digest) ?? []) {
      this.referenced({ digest, size, nfiles: type === "dir" ? 0 : undefined }, into);
    }
  }

  /** All digests in the store. */
  *objects(): Generator<string> {
    let prefixes: Deno.DirEntry[];
    try {
      prefixes = [...Deno.readDirSync(`${this.dir}/objects`)];
    } catch {
      return;
    }
    for (const p of prefixes) {
      for (const o of Deno.readDirSync(`${this.dir}/objects/${p.name}`)) {
        if (!o.name.endsWith(".tmp")) yield p.name + o.name;
      }
    }
  }

  /** Delete an object. */
  async remove(digest: string): Promise<void> {
    this.#verified.delete(digest);
    await Deno.remove(this.objectPath(digest)).catch(() => {});
  }

  /**
   * The rows of a directory manifest; undefined when it is missing, or damaged (not a manifest), in which case
   * it is removed, so whatever needed it is treated as not cached and reruns.
   */
  #rows(digest: string): ManifestRow[] | undefined {
    let text: string;
    try {
      text = Deno.readTextFileSync(this.objectPath(digest));
    } catch {
      return undefined;
    }
    const rows = parseManifest(text);
    if (!rows) {
      try {
        Deno.removeSync(this.objectPath(digest));
      } catch { /* already gone */ }
    }
    return rows;
  }

  /**
   * Checks every object of the output `d` at `rel` (manifests first, then the files `CHECKOUT_JOBS` at a time),
   * listing its files and directories (parents before children) into `files` and `dirs`.
   */
  async #verifyTree(
    d: Digested,
    rel: string,
    files: { digest: string; rel: string }[],
    dirs: string[],
  ): Promise<void> {
    const walk = async (node: Digested, at: string) => {
      if (!isDirDigest(node)) {
        files.push({ digest: node.digest, rel: at });
        return;
      }
      await this.#verifyObject(node, at);
      const rows = this.#rows(node.digest);
      if (!rows) throw new DamagedObjectError(node.digest, at);
      dirs.push(at);
      for (const [name, type, digest, size] of rows) {
        await walk({ digest, size, nfiles: type === "dir" ? 0 : undefined }, `${at}/${name}`);
      }
    };
    await walk(d, rel);
    await forEachLimited(
      files,
      CHECKOUT_JOBS,
      (f) => this.#verifyObject({ digest: f.digest, size: 0 }, f.rel),
    );
  }

  /** Hash one object (unless this process already did); a damaged one is removed and reported for `rel`. */
  async #verifyObject(d: Digested, rel: string): Promise<void> {
    if (this.#verified.has(d.digest)) return;
    const path = this.objectPath(d.digest);
    const actual = isDirDigest(d)
      ? await digestBytes(await Deno.readTextFile(path).catch(() => ""))
      : await hashFileStreaming(path).catch(() => "");
    if (actual !== d.digest) {
      await this.remove(d.digest);
      throw new DamagedObjectError(d.digest, rel);
    }
    this.#verified.add(d.digest);
  }

  /**
   * Store an object that `write` puts at a temporary path (e.g. downloaded from a remote), after checking that
   * its bytes hash to `digest`; on a mismatch nothing is stored and a {@link DamagedObjectError} is thrown.
   * Concurrent writers of the same object are safe: each writes its own temporary file and renames it.
   */
  async receive(digest: string, what: string, write: (tmp: string) => Promise<void>): Promise<void> {
    await this.#store(digest, async (tmp) => {
      await write(tmp);
      if (await hashFileStreaming(tmp) !== digest) {
        throw new DamagedObjectError(digest, what, "arrived damaged");
      }
    });
    this.#verified.add(digest);
  }

  /** Create `dir` (inside the cache) with the cache's permissions: setgid and group-writable when shared. */
  async makeDir(dir: string): Promise<void> {
    if (this.#made.has(dir)) return;
    await Deno.mkdir(dir, { recursive: true });
    this.#made.add(dir);
    if (!this.groupShared) return;
    for (let d = dir; d.startsWith(this.dir); d = dirname(d)) {
      const mode = (await Deno.stat(d)).mode ?? 0;
      if ((mode & 0o2070) !== 0o2070) await Deno.chmod(d, (mode & 0o7777) | 0o2070).catch(() => {});
      if (d === this.dir) break;
    }
  }

  async #store(digest: string, write: (tmp: string) => Promise<void>): Promise<void> {
    const path = this.objectPath(digest);
    await this.makeDir(dirname(path));
    const tmp = `${path}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
    try {
      await write(tmp);
      await Deno.chmod(tmp, 0o444);
      faultPoint("commit");
      await Deno.rename(tmp, path);
    } catch (e) {
      await Deno.remove(tmp).catch(() => {});
      throw e;
    }
  }
}
