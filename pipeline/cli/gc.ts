/**
 * `gc`: drop cache objects and run-cache entries nothing refers to.
 *
 * @module
 */
import type { Command } from "commander";
import { gc } from "../gc.ts";
import { acquireReproLock } from "../project_lock.ts";
import { type CliContext, requirePipelineFile, rootOf, withProject } from "./context.ts";

/** Add `gc` to `program`. */
export function register(program: Command, ctx: CliContext): void {
  program.command("gc")
    .description("drop unreferenced cache objects, and sandbox staging left by interrupted runs")
    .option("--dry", "only say what would be removed")
    .option("--keep-run-cache", "keep every run-cache entry (and the objects they refer to)")
    .action(ctx.act(async (opts: { dry?: boolean; keepRunCache?: boolean }, cmd: Command) => {
      const root = rootOf(cmd);
      requirePipelineFile(root);
      using _lock = await acquireReproLock(`${root}/.pipeline`, (m) => console.error(m));
      return await withProject(root, [], async (project) => {
        const r = await gc(project, { dry: opts.dry ?? false, keepRunCache: opts.keepRunCache ?? false });
        const verb = opts.dry ? "would remove" : "removed";
        console.log(
          `${verb} ${r.objects} cache objects (${
            (r.bytes / 2 ** 20).toFixed(1)
          } MiB) and ${r.runEntries} run-cache entries`,
        );
        if (r.stagingDirs > 0) {
          console.log(`${verb} ${r.stagingDirs} sandbox staging directories left by interrupted runs`);
        }
        return 0;
      });
    }));
}
