/**
 * `params diff [A [B]]`: params that differ between two revisions, or a revision and the workspace
 * (pipeline/params_diff.ts).
 *
 * @module
 */
import { type Command, Option } from "commander";
import { diffParams, revisionParams, workspaceParams } from "../params_diff.ts";
import { cell, renderTable } from "../table.ts";
import { baseRev, type CliContext, rootOf } from "./context.ts";

/** Options of `params diff`. */
export interface ParamsDiffOptions {
  all?: boolean;
  md?: boolean;
  json?: boolean;
}

/** Add `params` and its subcommands to `program`. */
export function register(program: Command, ctx: CliContext): void {
  const params = program.command("params").description("params of the pipeline");
  params.command("diff")
    .description(
      "params changed between A (default HEAD; the merge base in CI) and B (default: workspace), with values " +
        "pipeline.lock recorded from --set runs",
    )
    .argument("[a]", "revision to compare from")
    .argument("[b]", "revision to compare to (default: the workspace)")
    .option("--all", "list unchanged params too")
    .addOption(new Option("--md", "Markdown table").conflicts("json"))
    .option("--json", "JSON")
    .action(
      ctx.act(async (a: string | undefined, b: string | undefined, opts: ParamsDiffOptions, cmd: Command) => {
        const root = rootOf(cmd);
        const old = await revisionParams(root, await baseRev(root, a));
        const now = b === undefined
          ? await workspaceParams(root)
          : await revisionParams(root, await baseRev(root, b));
        const rows = diffParams(old, now, opts.all ?? false);
        if (opts.json) {
          console.log(JSON.stringify(Object.fromEntries(rows.map(({ key, ...r }) => [key, r])), null, 2));
        } else if (rows.length === 0) {
          console.log(`No params changed between ${old.label} and ${now.label}.`);
        } else {
          const recorded = (r?: Readonly<Record<string, unknown>>) =>
            r ? Object.entries(r).map(([stage, v]) => `${cell(v)} (${stage})`).join("; ") : "";
          const withOld = rows.some((r) => r.oldRecorded), withNew = rows.some((r) => r.newRecorded);
          const header = [
            "Param",
            old.label,
            ...(withOld ? [`${old.label} lock`] : []),
            now.label,
            ...(withNew ? [`${now.label} lock`] : []),
          ];
          console.log(renderTable(
            header,
            rows.map((r) => [
              r.key,
              cell(r.old),
              ...(withOld ? [recorded(r.oldRecorded)] : []),
              cell(r.new),
              ...(withNew ? [recorded(r.newRecorded)] : []),
            ]),
            opts.md,
          ));
          if (withOld || withNew) {
            console.log(
              "(lock: values pipeline.lock recorded for a stage that differ from params.yaml, i.e. from a --set run)",
            );
          }
        }
        return 0;
      }),
    );
}
