/**
 * `commit`: record stages' outputs as they are in the workspace as the results of their current deps, params and
 * command, without running them (DVC's `dvc commit`). For a change the user knows leaves a stage's outputs as
 * they are — a refactor, a comment, a memory fix in code the stage imports — when running it again would cost
 * hours. Each committed stage gets its lock entry and, where its outs are cached, a run-cache entry, so
 * `push --run-cache` carries the result to other machines; the outs go to the cache. The report lists, per
 * stage, what had changed: what the user vouched for.
 *
 * @example
 * ```ts
 * const report = await commitStages(project, ["train"]);
 * for (const s of report) console.log(s.stage, s.status, s.changes.join("; "));
 * ```
 *
 * @module
 */
import { PipelineError } from "./errors.ts";
import { selectStages } from "./graph.ts";
import { writeLock } from "./lock.ts";
import { decide, runCacheable } from "./plan.ts";
import type { Project } from "./project.ts";
import { lockEntryFromWorkspace } from "./stage_run.ts";

/** What `commit` did with one stage. */
export interface CommittedStage {
  readonly stage: string;
  /** `committed`: a new lock entry; `up-to-date`: nothing had changed; `frozen`: left alone. */
  readonly status: "committed" | "up-to-date" | "frozen";
  /** What differed from the lock (empty unless committed). */
  readonly changes: readonly string[];
}

/**
 * Commits `targets` (stage or group names; all stages when empty), upstream first. Throws a
 * {@link PipelineError} before recording anything when a selected stage's dep or out is missing from the
 * workspace.
 */
export async function commitStages(project: Project, targets: readonly string[]): Promise<CommittedStage[]> {
  const names = selectStages(project.graph, targets, false);
  for (const name of names) {
    const stage = project.graph.stages.get(name)!;
    for (const out of stage.outs) {
      if (!(await project.hasher.node(out.path))) {
        throw new PipelineError(
          `cannot commit '${name}': its out '${out.path}' is not in the workspace; restore it (repro --pull, ` +
            `checkout) or run the stage (${stage.where})`,
        );
      }
    }
  }
  const report: CommittedStage[] = [];
  for (const name of names) {
    const stage = project.graph.stages.get(name)!;
    const decision = await decide(project, stage);
    if (decision.action === "frozen" || decision.action === "up-to-date") {
      report.push({ stage: name, status: decision.action, changes: [] });
      continue;
    }
    const entry = await lockEntryFromWorkspace(project, stage, decision);
    if (runCacheable(stage)) await project.runs.save(entry);
    project.lock[name] = entry;
    report.push({ stage: name, status: "committed", changes: decision.reasons });
  }
  if (report.some((s) => s.status === "committed")) await writeLock(project.root, project.lock);
  return report;
}

/** The report as the CLI prints it. */
export function renderCommitReport(report: readonly CommittedStage[]): string {
  const lines = report.map((s) =>
    s.status === "committed"
      ? `committed ${s.stage} (${s.changes.join("; ")})`
      : `${s.stage}: ${s.status === "frozen" ? "frozen, left alone" : "up to date"}`
  );
  const n = report.filter((s) => s.status === "committed").length;
  lines.push(`${n} of ${report.length} stage(s) committed without running.`);
  return lines.join("\n");
}
