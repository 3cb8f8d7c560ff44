/**
 * The order in which `repro` starts the stages that are ready when more are ready than `--jobs` lets run: the
 * longest remaining path first. A stage's rank is its expected seconds plus the largest rank among the stages
 * that depend on it (the "upward rank" of list scheduling, as in HEFT), so the head of a long chain (a
 * training whose five measurements follow it, the corrupted sets every corrupt-eval waits for) starts before
 * stages that end nothing, whatever their place in pipeline.yaml. Expected seconds are each stage's last
 * successful run (its run record, run_records.ts); a stage never run counts as the median of the known ones, or
 * 1 s when none is known, so a first run ranks by the length of the chains. Ties keep pipeline.yaml's order.
 * The order changes when stages start, never what they compute.
 *
 * Measured on the default pipeline on an H100 (bench/gpu/results/2026-12-07-h100-run21-22.md): in file order
 * the two robustness-training variants started after every other network's measurements, at 20 of 26 s.
 *
 * @example
 * ```ts
 * const order = launchOrder(project.graph, names, await expectedSeconds(project.dir));
 * ```
 *
 * @module
 */
import type { StageGraph } from "./graph.ts";
import { readRunRecords } from "./run_records.ts";

/**
 * `names` (a topological order, as selectStages returns) sorted by rank, highest first; ties in their given
 * order. The result is still a topological order: a stage outranks every stage below it.
 */
export function launchOrder(
  graph: StageGraph,
  names: readonly string[],
  expected: ReadonlyMap<string, number>,
): string[] {
  const selected = new Set(names);
  const known = names.map((n) => expected.get(n)).filter((s): s is number => s !== undefined).sort((a, b) =>
    a - b
  );
  const unknown = known.length > 0 ? known[Math.floor(known.length / 2)] : 1;
  const below = new Map<string, string[]>();
  for (const name of names) {
    for (const up of graph.upstream.get(name) ?? []) {
      if (selected.has(up)) below.set(up, (below.get(up) ?? []).concat(name));
    }
  }
  const rank = new Map<string, number>();
  for (const name of [...names].reverse()) {
    const next = Math.max(0, ...(below.get(name) ?? []).map((d) => rank.get(d)!));
    rank.set(name, (expected.get(name) ?? unknown) + next);
  }
  const position = new Map(names.map((n, i) => [n, i]));
  return [...names].sort((a, b) => rank.get(b)! - rank.get(a)! || position.get(a)! - position.get(b)!);
}

/**
 * Seconds of each stage's last successful run, from the run records under `pipelineDir` (`.pipeline`); a
 * stage without one is absent.
 */
export async function expectedSeconds(pipelineDir: string): Promise<Map<string, number>> {
  const seconds = new Map<string, number>();
  // Newest first, the last few runs of each stage; a record that does not parse is no estimate.
  const records = await readRunRecords(pipelineDir, { last: 5 }, () => {});
  for (const r of records) {
    if (r.exit_code === 0 && !seconds.has(r.stage)) seconds.set(r.stage, r.wall_seconds);
  }
  return seconds;
}
