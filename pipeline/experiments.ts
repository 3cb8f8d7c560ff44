/**
 * Experiments: every result the run-cache holds for the chosen stages (each distinct params, code and data a
 * stage ran with), with its params and metrics, newest first, so runs made with `--set` can be compared
 * without commits (`exp show`, as `dvc exp show`). A run-cache entry belongs to the stage whose outputs it
 * records; its metrics are read from the cached metrics files.
 *
 * @module
 */
import { canonicalJson } from "./canonical.ts";
import { PipelineError } from "./errors.ts";
import type { LockEntry } from "./lock.ts";
import { type FlatMetrics, flatten } from "./metrics.ts";
import { compact } from "./metrics_compact.ts";
import { recordedLeaves } from "./params.ts";
import type { Project } from "./project.ts";
import type { StageSpec } from "./spec.ts";

/** One result of one stage. */
export interface Experiment {
  readonly stage: string;
  /** When the run-cache entry was written (ISO 8601). */
  readonly created: string;
  /** Whether this is the result pipeline.lock records now. */
  readonly current: boolean;
  readonly key: string;
  /** Leaf param key → value used. */
  readonly params: Readonly<Record<string, unknown>>;
  readonly metrics: FlatMetrics;
}

/** Leaf values of the params an entry recorded (`train` → `train.lr`, …). */
function leafParams(entry: LockEntry): Record<string, unknown> {
  return Object.assign({}, ...Object.entries(entry.params ?? {}).map(([k, v]) => recordedLeaves(k, v)));
}

function stageOf(stages: readonly StageSpec[], entry: LockEntry): StageSpec | undefined {
  const paths = Object.keys(entry.outs);
  return paths.length === 0
    ? undefined
    : stages.find((s) => paths.every((p) => s.outs.some((o) => o.path === p)));
}

async function entryMetrics(
  project: Project,
  stage: StageSpec,
  entry: LockEntry,
  all: boolean,
): Promise<FlatMetrics> {
  const files = stage.outs.filter((o) => o.kind === "metrics");
  const out: FlatMetrics = {};
  for (const o of files) {
    const rec = entry.outs[o.path];
    if (!rec || !project.objects.has(rec.digest)) continue;
    let flat: FlatMetrics;
    try {
      flat = flatten(JSON.parse(await Deno.readTextFile(project.objects.objectPath(rec.digest))));
    } catch {
      continue;
    }
    const prefix = files.length > 1 ? `${o.path.split("/").pop()}:` : "";
    for (const [k, v] of Object.entries(all ? flat : compact(flat))) out[prefix + k] = v;
  }
  return out;
}

/**
 * Every run-cache result of `stageNames`, newest first.
 *
 * @example
 * ```ts
 * const rows = await experiments(project, selectStages(project.graph, ["train"], false), false);
 * ```
 */
export async function experiments(
  project: Project,
  stageNames: readonly string[],
  allMetrics: boolean,
): Promise<Experiment[]> {
  const stages = stageNames.map((n) => project.graph.stages.get(n)!);
  const rows: (Experiment & { mtime: number })[] = [];
  for (const { file, entry } of project.runs.all()) {
    const stage = stageOf(stages, entry);
    if (!stage) continue;
    const mtime = Deno.statSync(file).mtime?.getTime() ?? 0;
    rows.push({
      stage: stage.name,
      created: new Date(mtime).toISOString(),
      current: canonicalJson(project.lock[stage.name] ?? null) === canonicalJson(entry),
      key: entry.key,
      params: leafParams(entry),
      metrics: await entryMetrics(project, stage, entry, allMetrics),
      mtime,
    });
  }
  rows.sort((a, b) => b.mtime - a.mtime || (a.stage < b.stage ? -1 : 1));
  return rows.map(({ mtime: _, ...r }) => r);
}

/** Param keys whose values are not the same in every row (the ones worth a column). */
export function differingParams(rows: readonly Experiment[]): string[] {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r.params)))].sort();
  return keys.filter((k) => new Set(rows.map((r) => canonicalJson(r.params[k] ?? null))).size > 1);
}

/** Rows sorted by metric `key`, descending (or ascending); rows without it last. */
export function sortByMetric(rows: readonly Experiment[], key: string, order: "asc" | "desc"): Experiment[] {
  if (!rows.some((r) => key in r.metrics)) {
    const known = [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))].slice(0, 12);
    throw new PipelineError(`--sort-by '${key}': no result has that metric (some: ${known.join(", ")})`);
  }
  const sign = order === "asc" ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = a.metrics[key], y = b.metrics[key];
    if (x === undefined || y === undefined) return x === undefined ? (y === undefined ? 0 : 1) : -1;
    return (typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y))) *
      sign;
  });
}
