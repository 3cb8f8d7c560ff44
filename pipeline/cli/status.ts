/**
 * `status [STAGE...]`: what `repro` would do to each stage, and why.
 *
 * @module
 */
import { type Command, Option } from "commander";
import { selectStages } from "../graph.ts";
import { planAll } from "../plan.ts";
import { remoteStatus } from "../remote_sync.ts";
import { cell, renderTable } from "../table.ts";
import { type CliContext, rootOf, withProject } from "./context.ts";
import { setOption } from "./repro.ts";

/** Options of `status`. */
export interface StatusCliOptions {
  json?: boolean;
  quiet?: boolean;
  set?: string[];
  remote?: string | boolean;
}

/** Add `status` to `program`. */
export function register(program: Command, ctx: CliContext): void {
  program.command("status")
    .description("what repro would do, and why")
    .argument("[stage...]", "stage or group names (default: all)")
    .option("--json", "machine-readable decisions")
    .addOption(
      new Option("-q, --quiet", "print nothing; exit 1 when any stage would change, else 0").conflicts(
        "json",
      ),
    )
    .addOption(setOption())
    .option("-r, --remote [name|url]", "instead: per stage, the objects missing locally and on the remote")
    .action(
      ctx.act((targets: string[], opts: StatusCliOptions, cmd: Command) =>
        withProject(rootOf(cmd), opts.set ?? [], async (project) => {
          if (opts.remote !== undefined) {
            const remote = typeof opts.remote === "string" ? opts.remote : undefined;
            const rows = await remoteStatus(project, { targets, remote, jobs: 8, runCache: false });
            if (opts.json) console.log(JSON.stringify(rows, null, 2));
            else {
              console.log(renderTable(
                ["Stage", "Objects", "Missing locally", "Missing on remote"],
                rows.map((r) =>
                  [r.stage, `${r.objects}${r.unknown ? "+" : ""}`, r.missingLocally, r.missingOnRemote].map(
                    cell,
                  )
                ),
              ));
            }
            return 0;
          }
          const plan = await planAll(project, selectStages(project.graph, targets));
          const todo = plan.filter((d) => d.action === "run" || d.action === "restore").length;
          if (opts.quiet) return todo === 0 ? 0 : 1;
          if (opts.json) {
            const rows = plan.map((d) => ({
              stage: d.stage,
              action: d.action,
              reasons: d.reasons,
              key: d.key,
            }));
            console.log(JSON.stringify(rows, null, 2));
            return 0;
          }
          const icon = { "up-to-date": "✓", restore: "↺", run: "▶", frozen: "❄" };
          for (const d of plan) {
            console.log(`${icon[d.action]} ${d.stage.padEnd(24)} ${d.action}`);
            for (const r of d.reasons) if (d.action !== "up-to-date") console.log(`      ${r}`);
          }
          console.log(
            todo === 0 ? "Everything is up to date." : `${todo} of ${plan.length} stages would change.`,
          );
          return 0;
        })
      ),
    );
}
