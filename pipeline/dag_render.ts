/**
 * The stage graph as text, Mermaid or Graphviz dot.
 *
 * @module
 */
import type { StageGraph } from "./graph.ts";

/** Output formats of `dag`. */
export type DagFormat = "text" | "mermaid" | "dot";

/**
 * Render the graph (edges point from a stage to the stages that read its outputs).
 *
 * @example
 * ```ts
 * console.log(renderDag(project.graph, "mermaid"));
 * ```
 */
export function renderDag(graph: StageGraph, format: DagFormat): string {
  const edges = graph.order.flatMap((name) =>
    (graph.upstream.get(name) ?? []).map((up) => [up, name] as const)
  );
  if (format === "mermaid") {
    const id = new Map(graph.order.map((n, i) => [n, `s${i}`]));
    return [
      "flowchart TD",
      ...graph.order.map((n) => `  ${id.get(n)}["${n}"]`),
      ...edges.map(([a, b]) => `  ${id.get(a)} --> ${id.get(b)}`),
    ].join("\n");
  }
  if (format === "dot") {
    return [
      "digraph pipeline {",
      ...graph.order.map((n) => `  "${n}";`),
      ...edges.map(([a, b]) => `  "${a}" -> "${b}";`),
      "}",
    ]
      .join("\n");
  }
  return graph.order.map((name) => {
    const ups = graph.upstream.get(name) ?? [];
    return ups.length ? `${name}  <- ${ups.join(", ")}` : name;
  }).join("\n");
}
