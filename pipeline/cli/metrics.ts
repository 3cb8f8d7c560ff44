/**
 * `metrics show` and `metrics diff [REV]`: the declared metrics files, shown or compared with a revision.
 *
 * @module
 */
import { type Command, Option } from "commander";
import { diffMetrics, revisionMetrics, workspaceMetrics } from "../metrics.ts";
import { cell, renderTable } from "../table.ts";
import { baseRev, type CliContext, rootOf, withProject } from "./context.ts";

/** Options of `metrics show` and `metrics diff`. */
export interface MetricsCliOptions {
  all?: boolean;
  md?: boolean;
  json?: boolean;
}

function formats(cmd: Command): Command {
  return cmd.addOption(new Option("--md", "Markdown table").conflicts("json")).option("--json", "JSON");
}

/** Add `metrics` and its subcommands to `program`. */
export function register(program: Command, ctx: CliContext): void {
  const metrics = program.command("metrics").description("metrics files declared by the stages");
  formats(metrics.command("show").description("the workspace's metrics"))
    .action(
      ctx.act((opts: MetricsCliOptions, cmd: Command) =>
        withProject(rootOf(cmd), [], async (project) => {
          const now = await workspaceMetrics(project);
          if (opts.json) console.log(JSON.stringify(now, null, 2));
          else {
            const rows = Object.entries(now).flatMap(([path, m]) =>
              Object.entries(m).map(([k, v]) => [path, k, cell(v)])
            );
            console.log(
              rows.length ? renderTable(["Path", "Metric", "Value"], rows, opts.md) : "No metrics yet.",
            );
          }
          return 0;
        })
      ),
    );
  formats(
    metrics.command("diff")
      .description("metrics changed since REV (default HEAD; the merge base in CI)")
      .argument("[rev]", "revision to compare with")
      .option("--all", "list unchanged metrics too"),
  )
    .action(
      ctx.act((rev: string | undefined, opts: MetricsCliOptions, cmd: Command) =>
        withProject(rootOf(cmd), [], async (project) => {
          const base = await baseRev(project.root, rev);
          const rows = diffMetrics(
            await revisionMetrics(project, base),
            await workspaceMetrics(project),
            opts.all,
          );
          if (opts.json) console.log(JSON.stringify(rows, null, 2));
          else if (rows.length === 0) console.log(`No metrics changed since ${base}.`);
          else {
            console.log(renderTable(
              ["Path", "Metric", base, "workspace", "Change"],
              rows.map((
                r,
              ) => [r.path, r.key, cell(r.old), cell(r.new), r.delta === undefined ? "—" : cell(r.delta)]),
              opts.md,
            ));
          }
          return 0;
        })
      ),
    );
}
