/**
 * `exp show [STAGE...]`: every result the run-cache holds for the stages (pipeline/experiments.ts), as a table.
 *
 * @module
 */
import { type Command, Option } from "commander";
import { differingParams, experiments, sortByMetric } from "../experiments.ts";
import { selectStages } from "../graph.ts";
import { cell, renderTable } from "../table.ts";
import { type CliContext, rootOf, withProject } from "./context.ts";

/** Options of `exp show`. */
export interface ExpShowOptions {
  md?: boolean;
  json?: boolean;
  sortBy?: string;
  sortOrder: "asc" | "desc";
  all?: boolean;
}

/** Add `exp` and its subcommands to `program`. */
export function register(program: Command, ctx: CliContext): void {
  const exp = program.command("exp").description("experiments: the results the run-cache holds");
  exp.command("show")
    .description("one row per cached result: the params that differ and the metrics, newest first")
    .argument("[stage...]", "stage or group names (default: every stage)")
    .addOption(new Option("--md", "Markdown table").conflicts("json"))
    .option("--json", "JSON (every param, not only those that differ)")
    .option("--sort-by <metric>", "sort by this metric instead of by time")
    .addOption(new Option("--sort-order <order>", "with --sort-by").choices(["asc", "desc"]).default("desc"))
    .option("--all", "every metric: also text, list items, echoed params, timings and hardware")
    .action(
      ctx.act((targets: string[], opts: ExpShowOptions, cmd: Command) =>
        withProject(rootOf(cmd), [], async (project) => {
          let rows = await experiments(
            project,
            selectStages(project.graph, targets, false),
            opts.all ?? false,
          );
          if (opts.sortBy) rows = sortByMetric(rows, opts.sortBy, opts.sortOrder);
          if (opts.json) {
            console.log(JSON.stringify(rows, null, 2));
            return 0;
          }
          if (rows.length === 0) {
            console.log("The run-cache holds no result of these stages yet (run repro).");
            return 0;
          }
          // One table per stage group: different stages have different params and metrics.
          const groupOf = (name: string) => project.graph.stages.get(name)!.group ?? name;
          const groups = [...new Set(rows.map((r) => groupOf(r.stage)))];
          groups.forEach((group, i) => {
            const mine = rows.filter((r) => groupOf(r.stage) === group);
            const params = differingParams(mine);
            const metrics = [...new Set(mine.flatMap((r) => Object.keys(r.metrics)))];
            const table = mine.map((r) => [
              `${r.stage}${r.current ? " *" : ""}`,
              r.created.slice(0, 19).replace("T", " "),
              ...params.map((k) => cell(r.params[k])),
              ...metrics.map((k) => cell(r.metrics[k])),
            ]);
            if (groups.length > 1) console.log(`${i ? "\n" : ""}${opts.md ? "### " : ""}${group}\n`);
            console.log(renderTable(["Stage", "Created", ...params, ...metrics], table, opts.md));
          });
          console.log("(* the result pipeline.lock records now)");
          return 0;
        })
      ),
    );
}
