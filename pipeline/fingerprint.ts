/**
 * A stage's fingerprint: the components that decide whether it must run, its key, and the reasons why a
 * fingerprint differs from the one in the lock.
 *
 * @module
 */
import { canonicalJson, sha256Hex } from "./canonical.ts";
import type { DepRecord, LockEntry } from "./lock.ts";
import { leafKeys, lookup } from "./params.ts";

/** Bump to invalidate every stage key when the key's definition changes. */
const KEY_VERSION = 1;

/** The components of a stage's fingerprint, as of now. */
export interface Fingerprint {
  readonly cmd: readonly string[];
  readonly wdir: string;
  readonly deps: Readonly<Record<string, DepRecord>>;
  readonly params: Readonly<Record<string, unknown>>;
  readonly outs: readonly string[];
  /** The top-level `env` entries that are not execution-only (absent or empty when there are none). */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * The stage key: SHA-256 of the canonical fingerprint. The dep set, the param key set and the out paths are
 * all part of it, so removing a dep or a param invalidates the stage (DVC ignores that). Keyed `env` entries
 * join the key only when there are some, so keys of pipelines without them are unchanged.
 *
 * @example
 * ```ts
 * stageKey({ cmd: ["echo hi > a"], wdir: "", deps: {}, params: {}, outs: ["a"] }); // "5f2c…"
 * ```
 */
export function stageKey(fp: Fingerprint): string {
  const deps = Object.fromEntries(Object.entries(fp.deps).map(([p, d]) => [p, d.digest]));
  return sha256Hex(
    canonicalJson({
      v: KEY_VERSION,
      cmd: fp.cmd,
      wdir: fp.wdir,
      deps,
      params: fp.params,
      outs: [...fp.outs].sort(),
      ...(fp.env && Object.keys(fp.env).length > 0 ? { env: fp.env } : {}),
    }),
  );
}

/**
 * Why `fp` differs from the lock entry, one line per changed component; empty when they match.
 *
 * @example
 * ```ts
 * explain(fp, lock["train"]); // ["param 'train.lr' changed: 0.1 -> 0.01"]
 * ```
 */
export function explain(fp: Fingerprint, entry: LockEntry | undefined): string[] {
  if (!entry) return ["never run (no entry in pipeline.lock)"];
  const reasons: string[] = [];
  if (canonicalJson(fp.cmd) !== canonicalJson(entry.cmd)) reasons.push("command changed");
  if (fp.wdir !== (entry.wdir ?? "")) reasons.push(`wdir changed: '${entry.wdir ?? ""}' -> '${fp.wdir}'`);
  for (const [path, dep] of Object.entries(fp.deps)) {
    const old = entry.deps[path];
    if (!old) reasons.push(`new dep '${path}'`);
    else if (old.digest !== dep.digest) reasons.push(depChange(path, old, dep));
  }
  for (const path of Object.keys(entry.deps)) if (!(path in fp.deps)) reasons.push(`dep '${path}' removed`);
  for (const [key, value] of Object.entries(fp.params)) {
    if (!(key in entry.params)) reasons.push(`new param '${key}'`);
    else reasons.push(...paramChanges(key, entry.params[key], value));
  }
  for (const key of Object.keys(entry.params)) {
    if (!(key in fp.params)) reasons.push(`param '${key}' removed`);
  }
  const oldEnv = entry.env ?? {};
  const nowEnv = fp.env ?? {};
  for (const name of new Set([...Object.keys(oldEnv), ...Object.keys(nowEnv)])) {
    if (oldEnv[name] !== nowEnv[name]) {
      reasons.push(`env '${name}' changed: ${show(oldEnv[name])} -> ${show(nowEnv[name])}`);
    }
  }
  const oldOuts = new Set(Object.keys(entry.outs));
  for (const out of fp.outs) if (!oldOuts.has(out)) reasons.push(`new out '${out}'`);
  for (const out of oldOuts) if (!fp.outs.includes(out)) reasons.push(`out '${out}' removed`);
  return reasons;
}

function depChange(path: string, old: DepRecord, now: DepRecord): string {
  if (!old.files || !now.files) return `dep '${path}' modified`;
  const changed = [
    ...Object.keys(now.files).filter((f) => !(f in old.files!)).map((f) => `+${f}`),
    ...Object.keys(old.files).filter((f) => !(f in now.files!)).map((f) => `-${f}`),
    ...Object.keys(now.files).filter((f) => f in old.files! && old.files![f] !== now.files![f]).map((f) =>
      `~${f}`
    ),
  ];
  return `dep '${path}' modified (${changed.slice(0, 5).join(", ")}${changed.length > 5 ? ", …" : ""})`;
}

function paramChanges(key: string, old: unknown, now: unknown): string[] {
  if (canonicalJson(old) === canonicalJson(now)) return [];
  const isObj = (v: unknown) => v !== null && typeof v === "object" && !Array.isArray(v);
  if (!isObj(old) || !isObj(now)) return [`param '${key}' changed: ${show(old)} -> ${show(now)}`];
  const leaves = new Set([...leafKeys(old), ...leafKeys(now)]);
  return [...leaves].filter((leaf) => canonicalJson(lookup(old, leaf)) !== canonicalJson(lookup(now, leaf)))
    .map(
      (leaf) => `param '${key}.${leaf}' changed: ${show(lookup(old, leaf))} -> ${show(lookup(now, leaf))}`,
    );
}

function show(v: unknown): string {
  return v === undefined ? "(absent)" : typeof v === "number" ? String(v) : canonicalJson(v);
}
