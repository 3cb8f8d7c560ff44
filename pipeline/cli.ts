/**
 * The runner's command line (`deno task runner --help`; each command has its own `--help`).
 *
 * ```
 * deno run -A pipeline/cli.ts [-C DIR] <command> [options]
 *   repro [STAGE...] [--dry] [--force] [--jobs N] [--keep-going] [--set key=value]... [--resources name=N]...
 *         [--executor local|slurm] [--slurm key=value]... [--retries N] [--cancel-running]
 *         [--sandbox]
 *   status [STAGE...] [--json | --quiet] [--set key=value]...
 *   dag [STAGE...] [--outs] [--mermaid | --dot]
 *   params diff [A [B]] [--all] [--md | --json]
 *   metrics show [TARGET...] [--all] [--md | --json]
 *   metrics diff [A [B]] [-t TARGET]... [--all] [--unchanged] [--md [--full FILE] | --json]
 *   plots show [TARGET...] [-o FILE]
 *   plots diff [REV...] [-t TARGET]... [-o FILE]
 *   exp show [STAGE...] [--md | --json] [--sort-by METRIC [--sort-order asc|desc]] [--all]
 *   commit [STAGE...] [--set key=value]...
 *   gc [--dry] [--keep-run-cache]
 *   push|fetch|pull [STAGE...] [--remote NAME|URL] [--jobs N] [--run-cache]   (pull: [--force])
 *   status --remote [NAME|URL] [STAGE...];  repro --pull [--remote NAME|URL]
 * ```
 *
 * The commands live in `pipeline/cli/` (one file per group, see `pipeline/cli/program.ts`). Exit codes: 0 done,
 * 1 a stage failed (or `status -q`: something would change), 2 bad input (usage, pipeline.yaml, params), 130
 * interrupted.
 *
 * @module
 */
import { CommanderError } from "commander";
import { PipelineError } from "./errors.ts";
import { makeContext } from "./cli/context.ts";
import { buildProgram } from "./cli/program.ts";

/** Run the CLI with `args`; returns the exit code (errors other than usage and {@link PipelineError} throw). */
export async function main(args: string[]): Promise<number> {
  const ctx = makeContext();
  try {
    await buildProgram(ctx).parseAsync(args, { from: "user" });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    // Help and version exit 0; usage errors (already printed by commander) and a bare `pipeline` exit 2.
    return e.exitCode === 0 ? 0 : 2;
  }
  return ctx.exitCode;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (e) {
    if (e instanceof PipelineError) {
      console.error(`error: ${e.message}`);
      Deno.exit(2);
    }
    throw e;
  }
}
