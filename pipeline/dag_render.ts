/**
 * The stage graph as text, Mermaid or Graphviz dot: of stages, or (as `dvc dag --outs`) of the outputs they
 * write, for every stage or only a selection (e.g. a target and its ancestors).
 *
 * @module
 */
import { globBase, globToRegExp, isGlob } from "./glob.ts";
import { depReadsOut, isWithin, type StageGraph } from "./graph.ts";

/** Output formats of `dag`. */
export type DagFormat = "text" | "mermaid" | "dot";

/** What to draw. */
export interface DagOptions {
  /** Stages to include, in topological order (default: all). */
  readonly stages?: readonly string[];
  /** Draw outputs instead of stages: an edge from an out to the outs of a stage that reads it. */
  readonly outs?: boolean;
}

/**
 * Render the graph (edges point from a node to the nodes made from it).
 *
 * @example
 * ```ts
 * console.log(renderDag(project.graph, "mermaid"));
 * console.log(renderDag(project.graph, "text", { stages: selectStages(project.graph, ["train"]), outs: true }));
 * ```
 */
export function renderDag(graph: StageGraph, format: DagFormat, opts: DagOptions = {}): string {
  const names = opts.stages ?? graph.order;
  const { nodes, edges } = opts.outs ? outGraph(graph, names) : stageGraph(graph, names);
  if (format === "mermaid") {
    const id = new Map(nodes.map((n, i) => [n, `s${i}`]));
    return [
      "flowchart TD",
      ...nodes.map((n) => `  ${id.get(n)}["${n}"]`),
      ...edges.map(([a, b]) => `  ${id.get(a)} --> ${id.get(b)}`),
    ].join("\n");
  }
  if (format === "dot") {
    return [
      "digraph pipeline {",
      ...nodes.map((n) => `  "${n}";`),
      ...edges.map(([a, b]) => `  "${a}" -> "${b}";`),
      "}",
    ]
      .join("\n");
  }
  return nodes.map((node) => {
    const ups = edges.filter(([, b]) => b === node).map(([a]) => a);
    return ups.length ? `${node}  <- ${ups.join(", ")}` : node;
  }).join("\n");
}

/** Whether dep `dep` reads out `out`; for a glob, only outs it matches or that hold its base. */
function reads(dep: string, out: string): boolean {
  if (!isGlob(dep)) return depReadsOut(dep, out);
  return globToRegExp(dep).test(out) || isWithin(globBase(dep), out);
}

type Graph = { nodes: string[]; edges: (readonly [string, string])[] };

function stageGraph(graph: StageGraph, names: readonly string[]): Graph {
  const keep = new Set(names);
  const edges = names.flatMap((name) =>
    (graph.upstream.get(name) ?? []).filter((up) => keep.has(up)).map((up) => [up, name] as const)
  );
  return { nodes: [...names], edges };
}

function outGraph(graph: StageGraph, names: readonly string[]): Graph {
  const keep = new Set(names);
  const nodes: string[] = [];
  const edges: (readonly [string, string])[] = [];
  for (const name of names) {
    const stage = graph.stages.get(name)!;
    const made = stage.outs.map((o) => o.path);
    nodes.push(...made);
    const read = (graph.upstream.get(name) ?? []).filter((up) => keep.has(up)).flatMap((up) =>
      graph.stages.get(up)!.outs.map((o) => o.path).filter((p) => stage.deps.some((d) => reads(d, p)))
    );
    for (const from of read) for (const to of made) edges.push([from, to]);
  }
  return { nodes, edges };
}
