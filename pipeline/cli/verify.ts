/**
 * `verify [STAGE...]`: rerun stages in a scratch copy and report, per out, whether the locked result was
 * reproduced (pipeline/verify.ts).
 *
 * @module
 */
import type { Command } from "commander";
import { LocalExecutor } from "../executors/local.ts";
import { acquireReproLock } from "../project_lock.ts";
import { renderVerifyReport, verify } from "../verify.ts";
import { type CliContext, requirePipelineFile, rootOf, withProject } from "./context.ts";
import { setOption } from "./repro.ts";

/** Options of `verify` as commander parses them. */
export interface VerifyCliOptions {
  keepScratch?: boolean;
  json?: boolean;
  set?: string[];
}

/** Add `verify` to `program`. */
export function register(program: Command, ctx: CliContext): void {
  program.command("verify")
    .description("rerun stages in a scratch copy; are the locked outs reproduced? (exit 1 if not)")
    .argument("[stage...]", "stage or group names (default: all)")
    .option("--keep-scratch", "keep the scratch copy for inspection")
    .option("--json", "the report as JSON")
    .addOption(setOption())
    .action(ctx.act(async (targets: string[], opts: VerifyCliOptions, cmd: Command) => {
      const root = rootOf(cmd);
      requirePipelineFile(root);
      using _lock = await acquireReproLock(`${root}/.pipeline`, (m) => console.error(m));
      return await withProject(root, opts.set ?? [], async (project) => {
        const controller = new AbortController();
        const onSignal = () => controller.abort();
        Deno.addSignalListener("SIGINT", onSignal);
        try {
          const report = await verify(
            project,
            { targets, keepScratch: opts.keepScratch ?? false },
            new LocalExecutor(),
            (line) => opts.json ? console.error(line) : console.log(line),
            controller.signal,
          );
          console.log(opts.json ? JSON.stringify(report, null, 2) : renderVerifyReport(report));
          return report.ok ? 0 : 1;
        } finally {
          Deno.removeSignalListener("SIGINT", onSignal);
        }
      });
    }));
}
