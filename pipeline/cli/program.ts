/**
 * The runner's command tree, on npm `commander`: one file per command group in `pipeline/cli/`, each
 * exporting `register(program, ctx)`. To add a command, write its module (logic in `pipeline/`, a typed
 * options object, a doc comment) and add its `register` to {@link COMMAND_GROUPS}; every command gets
 * `--help`/`-h`, strict option checking and the global `-C DIR`.
 *
 * @example
 * ```ts
 * const ctx = makeContext();
 * await buildProgram(ctx).parseAsync(["status", "-q"], { from: "user" });
 * ctx.exitCode; // 0 or 1
 * ```
 *
 * @module
 */
import { Command } from "commander";
import { chdirOption, type CliContext } from "./context.ts";
import { register as commit } from "./commit.ts";
import { register as dag } from "./dag.ts";
import { register as exp } from "./exp.ts";
import { register as gc } from "./gc.ts";
import { register as metrics } from "./metrics.ts";
import { register as params } from "./params.ts";
import { register as plots } from "./plots.ts";
import { register as remote } from "./remote.ts";
import { register as repro } from "./repro.ts";
import { register as status } from "./status.ts";
import { register as verify } from "./verify.ts";

/** The command groups, in the order `--help` lists them. */
export const COMMAND_GROUPS: readonly ((program: Command, ctx: CliContext) => void)[] = [
  repro,
  status,
  dag,
  params,
  metrics,
  plots,
  exp,
  verify,
  commit,
  gc,
  remote,
];

/** The root command with every group registered; errors throw (commander's `exitOverride`). */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command("pipeline")
    .description("DVC-like runner: declarative, content-hashed, cached stages (pipeline.yaml, params.yaml)")
    .option(
      "-C, --directory <dir>",
      "run in DIR as if started there (repeatable, each relative to the last)",
      chdirOption,
    )
    .showHelpAfterError("(add --help for usage)");
  for (const register of COMMAND_GROUPS) register(program, ctx);
  applyRecursively(program, (c) => c.exitOverride().allowExcessArguments(false));
  return program;
}

function applyRecursively(cmd: Command, fn: (c: Command) => void): void {
  fn(cmd);
  for (const sub of cmd.commands) applyRecursively(sub, fn);
}
