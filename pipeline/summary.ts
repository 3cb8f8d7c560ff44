/**
 * End-of-run summaries: a stage may declare `summary: PATH` in pipeline.yaml, a text file inside its outs (for
 * this project, the report's verdict table and where the report is). After `repro`, the runner prints the
 * summary of every selected stage that has one, so the outcome is on the terminal rather than only in a log.
 * The runner does not interpret the text.
 *
 * @example
 * ```ts
 * console.log(renderSummaries(await readSummaries(project, ["aggregate"])));
 * ```
 *
 * @module
 */
import type { Project } from "./project.ts";

/** One stage's summary file and its text (undefined when the file is not there). */
export interface StageSummary {
  readonly stage: string;
  readonly path: string;
  readonly text?: string;
}

/** The summaries declared by the stages `names`, in pipeline order. */
export async function readSummaries(project: Project, names: readonly string[]): Promise<StageSummary[]> {
  const wanted = new Set(names);
  const out: StageSummary[] = [];
  for (const stage of project.spec.stages) {
    if (!stage.summary || !wanted.has(stage.name)) continue;
    const text = await Deno.readTextFile(`${project.root}/${stage.summary}`).catch(() => undefined);
    out.push({ stage: stage.name, path: stage.summary, text });
  }
  return out;
}

/** Each summary under a rule naming its stage and file; missing files are said to be missing. */
export function renderSummaries(summaries: readonly StageSummary[]): string {
  return summaries.map((s) => {
    const head = `── ${s.stage}: ${s.path} ──`;
    return s.text === undefined
      ? `${head}\n(not written: the stage has not run successfully)`
      : `${head}\n${s.text.trimEnd()}`;
  }).join("\n\n");
}
