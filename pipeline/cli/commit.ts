/**
 * `commit [STAGE...]`: record the workspace's outputs of stages as the results of their current deps and params,
 * without running them (pipeline/commit.ts).
 *
 * @module
 */
import type { Command } from "commander";
import { commitStages, renderCommitReport } from "../commit.ts";
import { acquireReproLock } from "../project_lock.ts";
import { type CliContext, requirePipelineFile, rootOf, withProject } from "./context.ts";
import { setOption } from "./repro.ts";

/** Add `commit` to `program`. */
export function register(program: Command, ctx: CliContext): void {
  program.command("commit")
    .description(
      "record stages' outputs in the workspace as the results of their current deps and params, without " +
        "running them (after a change you know leaves the outputs as they are)",
    )
    .argument("[stage...]", "stage or group names (default: all)")
    .addOption(setOption())
    .action(ctx.act(async (targets: string[], opts: { set?: string[] }, cmd: Command) => {
      const root = rootOf(cmd);
      requirePipelineFile(root);
      using _lock = await acquireReproLock(`${root}/.pipeline`, (m) => console.error(m));
      return await withProject(root, opts.set ?? [], async (project) => {
        console.log(renderCommitReport(await commitStages(project, targets)));
        return 0;
      });
    }));
}
