/**
 * Metrics: the stages' declared metrics files (JSON), flattened to dotted keys, shown and diffed against a git
 * revision (read from git, or from the cache through that revision's lock).
 *
 * @module
 */
import { declaredOuts, selectOuts } from "./out_targets.ts";
import type { Project } from "./project.ts";
import { revisionReader } from "./revision_files.ts";

/** Flat metrics of one file: dotted key → number, string or boolean. */
export type FlatMetrics = Record<string, number | string | boolean>;

/**
 * Flatten nested JSON to dotted keys, keeping numbers, strings and booleans (array items by index).
 *
 * @example
 * ```ts
 * flatten({ acc: { clean: 0.9 }, curve: [1, 2] }); // { "acc.clean": 0.9, "curve.0": 1, "curve.1": 2 }
 * ```
 */
export function flatten(value: unknown, prefix = "", out: FlatMetrics = {}): FlatMetrics {
  if (typeof value === "number" || typeof value === "string" || typeof value === "boolean") {
    out[prefix] = value;
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  }
  return out;
}

/** Paths of every declared metrics file. */
export function metricsPaths(project: Project): string[] {
  return declaredOuts(project, "metrics").map((o) => o.path);
}

/**
 * The declared metrics files that `targets` name: a file, a directory holding some, or a stage or group
 * (its metrics); no targets name them all. A target naming none is an error.
 *
 * @example
 * ```ts
 * selectMetricsPaths(project, ["train"]); // every train stage's metrics file
 * ```
 */
export function selectMetricsPaths(project: Project, targets: readonly string[]): string[] {
  return selectOuts(project, "metrics", targets).map((o) => o.path);
}

/** The workspace's metrics, per file (unreadable files are reported as an `error` key). */
export async function workspaceMetrics(
  project: Project,
  paths: readonly string[] = metricsPaths(project),
): Promise<Record<string, FlatMetrics>> {
  const out: Record<string, FlatMetrics> = {};
  for (const path of paths) {
    const text = await Deno.readTextFile(`${project.root}/${path}`).catch(() => undefined);
    if (text !== undefined) out[path] = parseMetrics(text, path);
  }
  return out;
}

/** The metrics at git revision `rev`: tracked files from git, others from the cache via that revision's lock. */
export async function revisionMetrics(
  project: Project,
  rev: string,
  paths: readonly string[] = metricsPaths(project),
): Promise<Record<string, FlatMetrics>> {
  const read = await revisionReader(project, rev);
  const out: Record<string, FlatMetrics> = {};
  for (const path of paths) {
    const text = await read(path);
    if (text !== undefined) out[path] = parseMetrics(text, path);
  }
  return out;
}

function parseMetrics(text: string, path: string): FlatMetrics {
  try {
    return flatten(JSON.parse(text));
  } catch (e) {
    return { error: `${path} is not valid JSON: ${(e as Error).message}` };
  }
}

/** One row of a metrics diff. */
export interface MetricChange {
  readonly path: string;
  readonly key: string;
  readonly old?: number | string | boolean;
  readonly new?: number | string | boolean;
  /** new − old, for numbers. */
  readonly delta?: number;
}

/**
 * Rows that differ between two sets of metrics (all rows with `all`).
 *
 * @example
 * ```ts
 * diffMetrics({ "m.json": { acc: 0.8 } }, { "m.json": { acc: 0.9 } }); // [{ path: "m.json", key: "acc", old: 0.8, new: 0.9, delta: 0.1 }]
 * ```
 */
export function diffMetrics(
  old: Record<string, FlatMetrics>,
  now: Record<string, FlatMetrics>,
  all = false,
): MetricChange[] {
  const rows: MetricChange[] = [];
  for (const path of [...new Set([...Object.keys(old), ...Object.keys(now)])].sort()) {
    const a = old[path] ?? {}, b = now[path] ?? {};
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      if (!all && a[key] === b[key]) continue;
      const delta = typeof a[key] === "number" && typeof b[key] === "number"
        ? (b[key] as number) - (a[key] as number)
        : undefined;
      rows.push({ path, key, old: a[key], new: b[key], delta });
    }
  }
  return rows;
}
