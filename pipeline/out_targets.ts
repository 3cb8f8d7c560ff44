/**
 * Choosing declared outputs of one kind (metrics or plots) by the targets a user gives: a file, a directory
 * holding some, or a stage or group (its outputs of that kind). No targets choose them all.
 *
 * @module
 */
import { didYouMean, PipelineError } from "./errors.ts";
import { isWithin } from "./graph.ts";
import type { Project } from "./project.ts";
import { type OutKind, type OutSpec, PIPELINE_FILE } from "./spec.ts";

/** Every declared output of `kind`, sorted by path. */
export function declaredOuts(project: Project, kind: OutKind): OutSpec[] {
  return project.spec.stages.flatMap((s) => s.outs.filter((o) => o.kind === kind))
    .sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
}

/**
 * The declared outputs of `kind` that `targets` name; a target naming none is an error.
 *
 * @example
 * ```ts
 * selectOuts(project, "plots", ["train"]).map((o) => o.path); // every train stage's plot files
 * ```
 */
export function selectOuts(project: Project, kind: OutKind, targets: readonly string[]): OutSpec[] {
  const all = declaredOuts(project, kind);
  if (targets.length === 0) return all;
  const chosen = new Set<string>();
  for (const raw of targets) {
    const target = raw.replace(/^\.\//, "").replace(/\/+$/, "");
    const byStage = project.spec.stages.filter((s) => s.name === target || s.group === target)
      .flatMap((s) => s.outs.filter((o) => o.kind === kind).map((o) => o.path));
    const byPath = all.filter((o) => isWithin(o.path, target)).map((o) => o.path);
    if (byStage.length + byPath.length === 0) {
      const what = kind === "metrics" ? "metrics file" : kind === "plots" ? "plot" : "out";
      throw new PipelineError(
        `'${raw}' names no ${what}, directory of them, or stage with ${kind} in ${PIPELINE_FILE}` +
          didYouMean(raw, [...all.map((o) => o.path), ...project.spec.stages.map((s) => s.name)]),
      );
    }
    for (const p of [...byStage, ...byPath]) chosen.add(p);
  }
  return all.filter((o) => chosen.has(o.path));
}
