/**
 * Moving cache objects and run-cache entries between the local cache and a {@link Remote}: in parallel, skipping
 * what the other side has, verifying every object's digest on arrival, atomic on both sides. An interrupted
 * transfer leaves only whole objects behind, so running it again resumes where it stopped.
 *
 * @module
 */
import { forEachLimited } from "./limited.ts";
import { DamagedObjectError, type Digested, isDirDigest, type ObjectCache } from "./cache.ts";
import { decodeNonFinite, sha256Hex } from "./canonical.ts";
import { digestBytes, hashFileStreaming } from "./file_digest.ts";
import { parseManifest } from "./hash.ts";
import { lockEntrySchema } from "./lock.ts";
import type { Remote } from "./remotes/remote.ts";
import type { RunCache } from "./runcache.ts";

/** Counts of one transfer. */
export interface TransferReport {
  /** Objects (and run-cache entries) copied. */
  readonly copied: number;
  readonly bytes: number;
  /** Already on the receiving side. */
  readonly skipped: number;
  /** Digests the sending side lacks. */
  readonly missing: readonly string[];
  /** Digests whose bytes did not match on arrival (not stored). */
  readonly damaged: readonly string[];
}

/** Progress of a running transfer: objects and bytes done, and the rate. */
export class TransferProgress {
  done = 0;
  bytes = 0;
  total = 0;
  readonly #started = performance.now();
  #lastPrint = 0;
  readonly #verb: string;
  readonly #write: ((line: string, final: boolean) => void) | undefined;

  /** `write` receives a status line (final: the last one); omit it to stay quiet. */
  constructor(verb: string, write?: (line: string, final: boolean) => void) {
    this.#verb = verb;
    this.#write = write;
  }

  /** Count one finished object of `size` bytes. */
  add(size: number): void {
    this.done++;
    this.bytes += size;
    const now = performance.now();
    if (now - this.#lastPrint > 500) {
      this.#lastPrint = now;
      this.#write?.(this.line(), false);
    }
  }

  /** The status line: objects, bytes, rate. */
  line(): string {
    const secs = Math.max((performance.now() - this.#started) / 1000, 1e-3);
    const mib = this.bytes / 2 ** 20;
    return `${this.#verb} ${this.done}/${this.total} objects, ${mib.toFixed(1)} MiB, ` +
      `${(mib / secs).toFixed(1)} MiB/s`;
  }

  /** Print the last line. */
  finish(): void {
    this.#write?.(this.line(), true);
  }
}

/** A progress writer for a terminal (one line, redrawn) or a log (a line every few seconds). */
export function progressWriter(): (line: string, final: boolean) => void {
  const enc = new TextEncoder();
  if (Deno.stderr.isTerminal()) {
    return (line, final) => Deno.stderr.writeSync(enc.encode(`\r\x1b[K${line}${final ? "\n" : ""}`));
  }
  let last = 0;
  return (line, final) => {
    if (final || performance.now() - last > 5000) {
      last = performance.now();
      console.error(line);
    }
  };
}

/** Object key of a digest, as on remotes and in the cache. */
export function objectKey(digest: string): string {
  return `objects/${digest.slice(0, 2)}/${digest.slice(2)}`;
}

/** Every digest an output needs (its manifests and files), read from the local cache; absent ones are listed. */
export function closure(
  objects: ObjectCache,
  outs: Iterable<Digested>,
  into = new Set<string>(),
): Set<string> {
  for (const d of outs) objects.referenced(d, into);
  return into;
}

/**
 * Upload `digests` that the remote lacks, `jobs` at a time. Each is re-hashed before it leaves, so a damaged
 * local object is reported, never sent.
 *
 * @example
 * ```ts
 * const report = await pushObjects(project.objects, remote, closure(project.objects, outs), { jobs: 8 });
 * ```
 */
export async function pushObjects(
  objects: ObjectCache,
  remote: Remote,
  digests: ReadonlySet<string>,
  opts: { jobs: number; progress?: TransferProgress },
): Promise<TransferReport> {
  const present = await remote.list("objects/");
  const missing: string[] = [], damaged: string[] = [], todo: string[] = [];
  let skipped = 0;
  for (const d of digests) {
    const local = objects.has(d) ? Deno.statSync(objects.objectPath(d)).size : undefined;
    if (local === undefined) {
      if (present.has(objectKey(d))) skipped++;
      else missing.push(d);
    } else if (present.get(objectKey(d)) === local) skipped++;
    else todo.push(d);
  }
  const progress = opts.progress ?? new TransferProgress("pushed");
  progress.total = todo.length;
  let copied = 0;
  await forEachLimited(todo, opts.jobs, async (digest) => {
    const path = objects.objectPath(digest);
    if (await hashFileStreaming(path) !== digest) {
      damaged.push(digest);
      return;
    }
    const size = (await Deno.stat(path)).size;
    await remote.upload(path, objectKey(digest), digest);
    copied++;
    progress.add(size);
  });
  return { copied, bytes: progress.bytes, skipped, missing, damaged };
}

/**
 * Download every object of `outs` the local cache lacks, `jobs` at a time, walking directory manifests as they
 * arrive. Each object is hashed before it is renamed into the cache; a damaged one is reported and not kept.
 *
 * @example
 * ```ts
 * const report = await fetchObjects(project.objects, remote, Object.values(entry.outs), { jobs: 8 });
 * ```
 */
export async function fetchObjects(
  objects: ObjectCache,
  remote: Remote,
  outs: Iterable<Digested>,
  opts: { jobs: number; progress?: TransferProgress },
): Promise<TransferReport> {
  let present: Map<string, number> | undefined;
  const progress = opts.progress ?? new TransferProgress("fetched");
  const missing: string[] = [], damaged: string[] = [];
  let copied = 0, skipped = 0;
  const seen = new Set<string>();
  const queue: { digest: string; dir: boolean }[] = [];
  const enqueue = (d: Digested) => {
    if (seen.has(d.digest)) return;
    seen.add(d.digest);
    queue.push({ digest: d.digest, dir: isDirDigest(d) });
  };
  for (const d of outs) enqueue(d);
  const visit = async (item: { digest: string; dir: boolean }) => {
    if (objects.has(item.digest)) skipped++;
    else {
      present ??= await remote.list("objects/");
      if (!present.has(objectKey(item.digest))) {
        missing.push(item.digest);
        return;
      }
      progress.total++;
      try {
        await objects.receive(
          item.digest,
          objectKey(item.digest),
          (tmp) => remote.download(objectKey(item.digest), tmp),
        );
      } catch (e) {
        if (!(e instanceof DamagedObjectError)) throw e;
        damaged.push(item.digest);
        return;
      }
      copied++;
      progress.add((await Deno.stat(objects.objectPath(item.digest))).size);
    }
    if (!item.dir) return;
    for (
      const [, type, digest, size]
        of parseManifest(await Deno.readTextFile(objects.objectPath(item.digest))) ?? []
    ) {
      enqueue({ digest, size, nfiles: type === "dir" ? 0 : undefined });
    }
  };
  await drain(queue, opts.jobs, visit);
  return { copied, bytes: progress.bytes, skipped, missing, damaged };
}

/**
 * Upload the run-cache entries the remote lacks (only those of the stage keys in `keys`, when given).
 *
 * @example
 * ```ts
 * await pushRunCache(project.runs, remote, { jobs: 8 });
 * ```
 */
export async function pushRunCache(
  runs: RunCache,
  remote: Remote,
  opts: { jobs: number; keys?: ReadonlySet<string> },
): Promise<{ copied: number; skipped: number }> {
  const present = await remote.list("runs/");
  const todo = [...runs.keys()].filter((k) =>
    !present.has(k) && (!opts.keys || opts.keys.has(k.split("/")[1]))
  );
  await forEachLimited(todo, opts.jobs, async (key) => {
    const tmp = await Deno.makeTempFile({ prefix: "pipeline-run-" });
    try {
      const text = runs.readText(key);
      await Deno.writeTextFile(tmp, text);
      await remote.upload(tmp, key, await digestBytes(text));
    } finally {
      await Deno.remove(tmp).catch(() => {});
    }
  });
  return { copied: todo.length, skipped: present.size };
}

/**
 * Download the remote's run-cache entries the local run-cache lacks (optionally only those of `keys`). Each is
 * checked against its file name (the SHA-256 of its text) and its schema; a bad one is reported, not kept.
 *
 * @example
 * ```ts
 * const { entries } = await fetchRunCache(project.runs, remote, { jobs: 8 });
 * ```
 */
export async function fetchRunCache(
  runs: RunCache,
  remote: Remote,
  opts: { jobs: number; keys?: ReadonlySet<string> },
): Promise<{ copied: number; damaged: string[] }> {
  const local = new Set(runs.keys());
  const todo = [...(await remote.list("runs/")).keys()].filter((k) =>
    !local.has(k) && (!opts.keys || opts.keys.has(k.split("/")[1]))
  );
  const damaged: string[] = [];
  let copied = 0;
  await forEachLimited(todo, opts.jobs, async (rel) => {
    const [, key, file] = rel.split("/");
    const tmp = await Deno.makeTempFile({ prefix: "pipeline-run-" });
    try {
      await remote.download(rel, tmp);
      const text = await Deno.readTextFile(tmp);
      const entry = lockEntrySchema.safeParse(safeJson(text));
      const ok = `${sha256Hex(text)}.json` === file && entry.success && entry.data.key === key;
      if (!ok) {
        damaged.push(rel);
        return;
      }
      await runs.saveText(key, text);
      copied++;
    } finally {
      await Deno.remove(tmp).catch(() => {});
    }
  });
  return { copied, damaged };
}

function safeJson(text: string): unknown {
  try {
    return decodeNonFinite(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** Like {@link forEachLimited}, over a queue that `fn` may grow. */
async function drain<T>(queue: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let active = 0;
  let failed = false;
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      if (failed) return;
      if (queue.length === 0 && active === 0) return resolve();
      while (active < limit && queue.length > 0) {
        const item = queue.shift()!;
        active++;
        fn(item).then(() => {
          active--;
          pump();
        }, (e) => {
          failed = true;
          reject(e);
        });
      }
    };
    pump();
  });
}
