/**
 * `metrics show [TARGET...]` and `metrics diff [A [B]]`: the declared metrics files, shown or compared between
 * two revisions (or a revision and the workspace). Compact by default (pipeline/metrics_compact.ts).
 *
 * @module
 */
import { resolve } from "node:path";
import { type Command, InvalidArgumentError, Option } from "commander";
import { writeFileAtomic } from "../atomic.ts";
import {
  diffMetrics,
  type FlatMetrics,
  revisionMetrics,
  selectMetricsPaths,
  workspaceMetrics,
} from "../metrics.ts";
import { compact } from "../metrics_compact.ts";
import { readRunRecords, renderRunRecords } from "../run_records.ts";
import { fitMetricsDiff, metricsDiffTable, PR_COMMENT_LIMIT } from "../metrics_markdown.ts";
import { cell, renderTable } from "../table.ts";
import { baseRev, type CliContext, collect, rootOf, withProject } from "./context.ts";

/** Options of `metrics show` and `metrics diff`. */
export interface MetricsCliOptions {
  all?: boolean;
  runs?: boolean;
  last?: number;
  unchanged?: boolean;
  md?: boolean;
  json?: boolean;
  targets?: string[];
  full?: string;
}

/** Where `metrics diff --md` writes the full table when it is too long for a comment. */
export const FULL_DIFF_FILE = ".pipeline/metrics-diff.md";

function common(cmd: Command): Command {
  return cmd
    .option("--all", "every metric: also text, list items, echoed params, timings and hardware")
    .addOption(new Option("--md", "Markdown table").conflicts("json"))
    .option("--json", "JSON");
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new InvalidArgumentError(`'${value}': expected a whole number ≥ 1`);
  }
  return n;
}

function view(all: boolean | undefined, m: Record<string, FlatMetrics>): Record<string, FlatMetrics> {
  return all ? m : Object.fromEntries(Object.entries(m).map(([p, v]) => [p, compact(v)]));
}

/** Add `metrics` and its subcommands to `program`. */
export function register(program: Command, ctx: CliContext): void {
  const metrics = program.command("metrics").description("metrics files declared by the stages");
  common(
    metrics.command("show")
      .description("the workspace's metrics (numeric results; --all for everything)")
      .argument("[target...]", "metrics files, directories of them, or stages (default: all)")
      .option("--runs", "per-run records instead (wall time, exit, peak RSS, host, the stage's own facts)")
      .option("--last <n>", "with --runs: the newest N records per stage", positiveInteger),
  ).action(
    ctx.act(async (targets: string[], opts: MetricsCliOptions, cmd: Command) => {
      if (opts.runs) {
        const records = await readRunRecords(`${rootOf(cmd)}/.pipeline`, {
          stages: targets,
          last: opts.last ?? Infinity,
        });
        console.log(opts.json ? JSON.stringify(records, null, 2) : renderRunRecords(records));
        return 0;
      }
      return await withProject(rootOf(cmd), [], async (project) => {
        const now = view(opts.all, await workspaceMetrics(project, selectMetricsPaths(project, targets)));
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
      });
    }),
  );
  common(
    metrics.command("diff")
      .description(
        "metrics changed between A (default HEAD; the merge base in CI) and B (default: workspace)",
      )
      .argument("[a]", "revision to compare from")
      .argument("[b]", "revision to compare to (default: the workspace)")
      .option("--unchanged", "list unchanged metrics too")
      .addOption(
        new Option("-t, --targets <target>", "only these metrics files, directories or stages (repeatable)")
          .argParser(collect),
      )
      .option(
        "--full <file>",
        `with --md: where the full table goes when too long (default ${FULL_DIFF_FILE})`,
      ),
  ).action(
    ctx.act((a: string | undefined, b: string | undefined, opts: MetricsCliOptions, cmd: Command) =>
      withProject(rootOf(cmd), [], async (project) => {
        const paths = selectMetricsPaths(project, opts.targets ?? []);
        const from = await baseRev(project.root, a);
        const to = b === undefined ? undefined : await baseRev(project.root, b);
        const old = view(opts.all, await revisionMetrics(project, from, paths));
        const now = view(
          opts.all,
          to ? await revisionMetrics(project, to, paths) : await workspaceMetrics(project, paths),
        );
        const rows = diffMetrics(old, now, opts.unchanged);
        const toLabel = to ?? "workspace";
        if (opts.json) console.log(JSON.stringify(rows, null, 2));
        else if (rows.length === 0) console.log(`No metrics changed between ${from} and ${toLabel}.`);
        else if (opts.md) {
          const fullPath = opts.full ?? FULL_DIFF_FILE;
          const fit = fitMetricsDiff(rows, from, toLabel, { limit: PR_COMMENT_LIMIT, fullPath });
          if (fit.truncated) {
            await writeFileAtomic(
              resolve(project.root, fullPath),
              metricsDiffTable(rows, from, toLabel) + "\n",
            );
          }
          console.log(fit.text);
        } else {
          console.log(renderTable(
            ["Path", "Metric", from, toLabel, "Change"],
            rows.map((
              r,
            ) => [r.path, r.key, cell(r.old), cell(r.new), r.delta === undefined ? "—" : cell(r.delta)]),
          ));
        }
        return 0;
      })
    ),
  );
}
