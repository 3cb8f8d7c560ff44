/**
 * `pipeline.lock`: per stage, every component of its fingerprint as of its last successful run, in sorted,
 * diff-friendly YAML (one block per stage, paths as keys). Written atomically.
 *
 * @module
 */
import { parse, stringify } from "yaml";
import { writeFileAtomic } from "./atomic.ts";
import type { Digested } from "./cache.ts";
import { sortKeys } from "./canonical.ts";
import { PipelineError } from "./errors.ts";
import { DIGEST_ALGORITHM } from "./file_digest.ts";
import { faultPoint } from "./fault.ts";

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

/**
 * Parse lock text (from the workspace or a git revision); `source` names it in errors.
 *
 * @example
 * ```ts
 * const lock = parseLock("schema: 1\nstages: {}\n", "pipeline.lock"); // {}
 * ```
 */
export function parseLock(text: string, source: string): Lock {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new PipelineError(
      `${source}: not valid YAML (${(e as Error).message.split("\n")[0]}); ` +
        `if it came from a merge conflict, delete the conflicting stage blocks and run repro again`,
    );
  }
  if (doc === null || doc === undefined) return {};
  const stages = (doc as { stages?: unknown }).stages;
  if (typeof doc !== "object" || (doc as { schema?: unknown }).schema !== 1 || typeof stages !== "object") {
    throw new PipelineError(`${source}: not a pipeline lock (expected 'schema: 1' and 'stages')`);
  }
  return (stages ?? {}) as Lock;
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
