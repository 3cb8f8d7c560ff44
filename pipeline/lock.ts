/**
 * `pipeline.lock`: per stage, every component of its fingerprint as of its last successful run, in sorted,
 * diff-friendly YAML (one block per stage, paths as keys). Written atomically.
 *
 * @module
 */
import { stringify } from "yaml";
import { z } from "zod";
import { writeFileAtomic } from "./atomic.ts";
import type { Digested } from "./cache.ts";
import { sortKeys } from "./canonical.ts";
import { PipelineError } from "./errors.ts";
import { DIGEST_ALGORITHM } from "./file_digest.ts";
import { faultPoint } from "./fault.ts";
import { parseYaml } from "./yaml_file.ts";

/** Name of the lock file at the project root. */
export const LOCK_FILE = "pipeline.lock";

/** A recorded dep: a file or directory digest, or for a glob the digest of each file it matched. */
export interface DepRecord extends Digested {
  readonly files?: Readonly<Record<string, string>>;
}

/** What the lock records of one stage. */
export interface LockEntry {
  /** The stage key: SHA-256 over cmd, wdir, deps, params, out paths and keyed env. */
  readonly key: string;
  readonly cmd: readonly string[];
  readonly wdir?: string;
  readonly deps: Readonly<Record<string, DepRecord>>;
  /** Declared param keys and the values used (after `--set`). */
  readonly params: Readonly<Record<string, unknown>>;
  readonly outs: Readonly<Record<string, Digested>>;
  /** Top-level `env` entries in the fingerprint (not execution-only); absent when there are none. */
  readonly env?: Readonly<Record<string, string>>;
}

/** The whole lock: stage name → entry. */
export type Lock = Record<string, LockEntry>;

const HEADER = "# Written by the pipeline runner after each successful stage. Do not edit by hand.\n" +
  `# Content digests: ${DIGEST_ALGORITHM}; stage keys: SHA-256.\n`;

const digestString = z.string().regex(/^[0-9a-f]{16,128}$/, "expected a hex digest");
const digestedSchema = z.looseObject({
  digest: digestString,
  size: z.number().int().nonnegative(),
  nfiles: z.number().int().nonnegative().optional(),
});

/**
 * The schema of one lock entry, shared by `pipeline.lock` and run-cache entries. Unknown fields are kept, so an
 * entry written by a newer runner with extra components survives a rewrite.
 */
export const lockEntrySchema = z.looseObject({
  key: z.string().regex(/^[0-9a-f]{64}$/, "expected a SHA-256 stage key"),
  cmd: z.array(z.string()).min(1),
  wdir: z.string().optional(),
  deps: z.record(z.string(), digestedSchema.extend({ files: z.record(z.string(), digestString).optional() })),
  params: z.record(z.string(), z.unknown()),
  outs: z.record(z.string(), digestedSchema),
  env: z.record(z.string(), z.string()).optional(),
});

/** The first problem zod found, as `key.path: message`. */
function firstIssue(error: z.ZodError): { path: (string | number)[]; text: string } {
  const issue = error.issues[0];
  const path = issue.path.map((p) => (typeof p === "symbol" ? String(p) : p));
  return { path, text: `${path.join(".") || "(entry)"}: ${issue.message}` };
}

/**
 * Parse lock text (from the workspace or a git revision); `source` names it in errors. Every entry is checked
 * against {@link lockEntrySchema}; a damaged one is an error naming the file, line, stage and key, and the fix.
 *
 * @example
 * ```ts
 * const lock = parseLock("schema: 1\nstages: {}\n", "pipeline.lock"); // {}
 * ```
 */
export function parseLock(text: string, source: string): Lock {
  let file;
  try {
    file = parseYaml(source, text);
  } catch (e) {
    throw new PipelineError(
      `${source}: not valid YAML (${(e as Error).message.replace(/^[^ ]*: invalid YAML: /, "")}); ` +
        `if it came from a merge conflict, delete the conflicting stage blocks and run repro again`,
    );
  }
  const doc = file.value;
  if (doc === null || doc === undefined) return {};
  const stages = (doc as { stages?: unknown }).stages;
  if (
    typeof doc !== "object" || (doc as { schema?: unknown }).schema !== 1 || stages === null ||
    typeof stages !== "object" || Array.isArray(stages)
  ) {
    throw new PipelineError(
      `${source}: not a pipeline lock (expected 'schema: 1' and 'stages'); restore it with ` +
        `'git checkout ${source}', or delete it (every stage is then decided afresh; cached results are restored)`,
    );
  }
  const lock: Lock = {};
  for (const [name, raw] of Object.entries(stages)) {
    const parsed = lockEntrySchema.safeParse(raw);
    if (!parsed.success) {
      const issue = firstIssue(parsed.error);
      throw new PipelineError(
        `${file.where(["stages", name, ...issue.path])}: the entry of stage '${name}' is damaged ` +
          `(${issue.text}); restore the file with 'git checkout ${source}', or delete the '${name}:' block ` +
          `(the stage is then decided afresh: restored from the cache or rerun)`,
      );
    }
    lock[name] = parsed.data as LockEntry;
  }
  return lock;
}

/** Read the lock in `root`; no file means an empty lock. */
export async function readLock(root: string): Promise<Lock> {
  try {
    return parseLock(await Deno.readTextFile(`${root}/${LOCK_FILE}`), LOCK_FILE);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return {};
    throw e;
  }
}

/** Serialise a lock: stages, paths and keys sorted, so equal locks are equal bytes. */
export function formatLock(lock: Lock): string {
  return HEADER + stringify({ schema: 1, stages: sortKeys(lock) }, { lineWidth: 0 });
}

/**
 * Remove the temporary files (`pipeline.lock.<pid>.<id>.tmp`) of lock writes cut short by a killed runner;
 * returns their names. Call it only while holding the repro lock (no other runner is writing).
 *
 * @example
 * ```ts
 * await removeStaleLockTemps(root); // ["pipeline.lock.4242.1a2b3c4d.tmp"]
 * ```
 */
export async function removeStaleLockTemps(root: string): Promise<string[]> {
  const stale = /^pipeline\.lock\.\d+\.[0-9a-f]{8}\.tmp$/;
  const removed: string[] = [];
  for await (const entry of Deno.readDir(root)) {
    if (!entry.isFile || !stale.test(entry.name)) continue;
    await Deno.remove(`${root}/${entry.name}`).catch(() => {});
    removed.push(entry.name);
  }
  return removed;
}

/** Atomically write the lock in `root`. */
export async function writeLock(root: string, lock: Lock): Promise<void> {
  await writeFileAtomic(`${root}/${LOCK_FILE}`, formatLock(lock), () => faultPoint("lock"));
}
