/**
 * The stage graph: edges from path overlap between deps and outs, checks for clashing outs and cycles, and
 * topological order.
 *
 * @module
 */
import { didYouMean, PipelineError } from "./errors.ts";
import { globBase, globToRegExp, isGlob } from "./glob.ts";
import type { StageSpec } from "./spec.ts";

/** A validated DAG of stages. */
export interface StageGraph {
  /** Stages by name. */
  readonly stages: ReadonlyMap<string, StageSpec>;
  /** Names of the stages each stage depends on. */
  readonly upstream: ReadonlyMap<string, readonly string[]>;
  /** All stage names in a topological order that keeps file order where it can. */
  readonly order: readonly string[];
}

/** Whether `inner` equals `outer` or lies inside it (posix, root-relative). */
export function isWithin(inner: string, outer: string): boolean {
  return outer === "" || inner === outer || inner.startsWith(outer + "/");
}

/** Whether a dep (a path or a glob) may read something that `out` writes. */
export function depReadsOut(dep: string, out: string): boolean {
  if (!isGlob(dep)) return isWithin(dep, out) || isWithin(out, dep);
  return globToRegExp(dep).test(out) || isWithin(out, globBase(dep)) || isWithin(globBase(dep), out);
}

/**
 * Build and check the graph: two stages may not write the same or nested outs, and deps may not form a cycle.
 *
 * @example
 * ```ts
 * const graph = buildGraph(spec.stages);
 * graph.order; // ["prepare-data", "train@0-0", ...]
 * ```
 */
export function buildGraph(stages: readonly StageSpec[]): StageGraph {
  const byName = new Map(stages.map((s) => [s.name, s]));
  const outs = stages.flatMap((s) => s.outs.map((o) => ({ stage: s, path: o.path })));
  outs.sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  for (let i = 0; i < outs.length; i++) {
    for (let j = i + 1; j < outs.length && isWithin(outs[j].path, outs[i].path); j++) {
      const [a, b] = [outs[i], outs[j]];
      const how = a.path === b.path ? `both write '${a.path}'` : `'${b.path}' lies inside '${a.path}'`;
      const who = a.stage === b.stage
        ? `stage '${a.stage.name}' declares outs that overlap: ${how}` +
          ` (${a.stage.where})`
        : `stages '${a.stage.name}' (${a.stage.where}) and '${b.stage.name}' ` +
          `(${b.stage.where}) overlap: ${how}`;
      throw new PipelineError(`${who}; every out must belong to one stage and not contain another`);
    }
  }
  for (const stage of stages) checkNoSelfDep(stage);
  const upstream = new Map<string, string[]>();
  for (const stage of stages) {
    const ups = new Set<string>();
    for (const dep of stage.deps) {
      for (const out of outs) if (out.stage !== stage && depReadsOut(dep, out.path)) ups.add(out.stage.name);
    }
    upstream.set(stage.name, [...ups]);
  }
  return { stages: byName, upstream, order: topologicalOrder(stages.map((s) => s.name), upstream) };
}

/** A stage may not read its own outs: it would change its own inputs, and never be up to date. */
function checkNoSelfDep(stage: StageSpec): void {
  for (const dep of stage.deps) {
    for (const out of stage.outs) {
      const overlaps = isGlob(dep)
        ? globToRegExp(dep).test(out.path) || (globBase(dep) !== "" && isWithin(globBase(dep), out.path))
        : isWithin(dep, out.path) || isWithin(out.path, dep);
      if (!overlaps) continue;
      throw new PipelineError(
        `stage '${stage.name}' (${stage.where}): dep '${dep}' overlaps its own out '${out.path}'; a stage ` +
          `cannot read what it writes (each run would change its own input). Depend only on the files it ` +
          `reads; for an out it updates in place, declare it once, as an out with 'persist: true'`,
      );
    }
  }
}

function topologicalOrder(names: string[], upstream: Map<string, string[]>): string[] {
  const order: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string, path: string[]) => {
    if (state.get(name) === "done") return;
    if (state.get(name) === "visiting") {
      const cycle = [...path.slice(path.indexOf(name)), name];
      throw new PipelineError(
        `dependency cycle: ${cycle.join(" -> ")}; each stage reads an out of the next. ` +
          `Break the cycle by removing one of these deps from pipeline.yaml`,
      );
    }
    state.set(name, "visiting");
    for (const up of upstream.get(name) ?? []) visit(up, [...path, name]);
    state.set(name, "done");
    order.push(name);
  };
  for (const name of names) visit(name, []);
  return order;
}

/**
 * Resolve targets (stage names or group names such as `train`) to the stages to consider: the targets and
 * everything upstream of them, in topological order. No targets selects every stage.
 *
 * @example
 * ```ts
 * selectStages(graph, ["train"]); // ["prepare-data", "train@0-0", "train@1-0"]
 * ```
 */
export function selectStages(graph: StageGraph, targets: readonly string[], withUpstream = true): string[] {
  if (targets.length === 0) return [...graph.order];
  const wanted = new Set<string>();
  for (const target of targets) {
    const matches = [...graph.stages.values()].filter((s) => s.name === target || s.group === target);
    if (matches.length === 0) {
      const names = [...graph.stages.values()].flatMap((s) => s.group ? [s.name, s.group] : [s.name]);
      throw new PipelineError(`no stage named '${target}' in pipeline.yaml${didYouMean(target, names)}`);
    }
    for (const m of matches) wanted.add(m.name);
  }
  if (withUpstream) {
    const add = (name: string) => {
      for (const up of graph.upstream.get(name) ?? []) {
        if (!wanted.has(up)) {
          wanted.add(up);
          add(up);
        }
      }
    };
    for (const name of [...wanted]) add(name);
  }
  return graph.order.filter((n) => wanted.has(n));
}

/** Names of every stage downstream of `name` (not including it). */
export function downstreamOf(graph: StageGraph, name: string): Set<string> {
  const out = new Set<string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const [stage, ups] of graph.upstream) {
      if (!out.has(stage) && ups.some((u) => u === name || out.has(u))) {
        out.add(stage);
        grew = true;
      }
    }
  }
  return out;
}
