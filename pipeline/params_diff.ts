/**
 * `params diff`: the params of two revisions (or a revision and the workspace) compared key by key: the
 * values in `params.yaml`, and the values `pipeline.lock` recorded when they differ from it (a run made with
 * `--set` records the values it used, which `params.yaml` does not show).
 *
 * @module
 */
import { parse as parseYamlText } from "yaml";
import { canonicalJson } from "./canonical.ts";
import { gitShow } from "./git.ts";
import { type Lock, LOCK_FILE, parseLock, readLock } from "./lock.ts";
import { leafKeys, lookup, PARAMS_FILE, recordedLeaves } from "./params.ts";

/** The params of one side: params.yaml's values, and per leaf key the stages' recorded values that differ. */
export interface ParamsSnapshot {
  readonly label: string;
  readonly file: unknown;
  /** leaf key → stage → recorded value, only where it differs from `file`. */
  readonly recorded: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
}

/** One row of a params diff. */
export interface ParamChange {
  readonly key: string;
  readonly old: unknown;
  readonly new: unknown;
  /** Values pipeline.lock recorded (stage → value) that differ from params.yaml, on each side. */
  readonly oldRecorded?: Readonly<Record<string, unknown>>;
  readonly newRecorded?: Readonly<Record<string, unknown>>;
}

/**
 * Recorded leaf values of `lock` that differ from `file`.
 *
 * @example
 * ```ts
 * recordedDifferences({ a: { key: "k", cmd: [], deps: {}, outs: {}, params: { "p.v": 7 } } }, { p: { v: 1 } });
 * // Map { "p.v" => { a: 7 } }
 * ```
 */
export function recordedDifferences(lock: Lock, file: unknown): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const [stage, entry] of Object.entries(lock)) {
    for (const [declared, value] of Object.entries(entry.params ?? {})) {
      for (const [leaf, inner] of Object.entries(recordedLeaves(declared, value))) {
        if (canonicalJson(inner) === canonicalJson(lookup(file, leaf))) continue;
        out.set(leaf, { ...out.get(leaf), [stage]: inner });
      }
    }
  }
  return out;
}

/** The params of git revision `rev` in `root`. */
export async function revisionParams(root: string, rev: string): Promise<ParamsSnapshot> {
  const text = await gitShow(root, rev, PARAMS_FILE);
  const file = text ? (parseYamlText(text) ?? {}) : {};
  const lockText = await gitShow(root, rev, LOCK_FILE);
  const lock = lockText ? parseLock(lockText, `${rev}:${LOCK_FILE}`) : {};
  return { label: rev, file, recorded: recordedDifferences(lock, file) };
}

/** The params of the workspace in `root`. */
export async function workspaceParams(root: string): Promise<ParamsSnapshot> {
  const file = parseYamlText(await Deno.readTextFile(`${root}/${PARAMS_FILE}`).catch(() => "")) ?? {};
  return { label: "workspace", file, recorded: recordedDifferences(await readLock(root), file) };
}

/**
 * Rows for keys whose params.yaml value differs, or that a lock recorded differently (every key with `all`).
 *
 * @example
 * ```ts
 * diffParams(await revisionParams(".", "HEAD"), await workspaceParams("."), false);
 * ```
 */
export function diffParams(old: ParamsSnapshot, now: ParamsSnapshot, all: boolean): ParamChange[] {
  const keys = new Set([
    ...leafKeys(old.file),
    ...leafKeys(now.file),
    ...old.recorded.keys(),
    ...now.recorded.keys(),
  ]);
  return [...keys].sort().flatMap((key) => {
    const a = lookup(old.file, key), b = lookup(now.file, key);
    const oldRecorded = old.recorded.get(key), newRecorded = now.recorded.get(key);
    const changed = canonicalJson(a) !== canonicalJson(b) ||
      canonicalJson(oldRecorded) !== canonicalJson(newRecorded);
    if (!all && !changed) return [];
    return [{
      key,
      old: a,
      new: b,
      ...(oldRecorded && { oldRecorded }),
      ...(newRecorded && { newRecorded }),
    }];
  });
}
