/**
 * The command line of a stage script, on npm `commander`: declared options with descriptions and defaults,
 * `--help`/`-h` printing them, unknown options and stray arguments refused with the stage's name. Help is
 * raised as {@link HelpShown}, which `runStage` (entry.ts) prints before exiting 0, so parsers stay pure and
 * testable.
 *
 * @example
 * ```ts
 * const values = parseStageArgs("aggregate", "Tables, verdicts and figures", [
 *   { name: "out", description: "report directory", default: "outputs/report" },
 * ], Deno.args);
 * values.out; // "outputs/report"
 * ```
 *
 * @module
 */
import { Command, CommanderError, Option } from "commander";

/** One `--name VALUE` option of a stage. */
export interface StageOption {
  /** Long name without dashes, e.g. `alpha` or `corruption-examples`. */
  readonly name: string;
  readonly description: string;
  readonly default?: string;
}

/** Thrown when the command line asked for help; `text` is the help to print. */
export class HelpShown extends Error {
  constructor(readonly text: string) {
    super("help requested");
  }
}

/**
 * Parse `argv` for stage `stage`; returns each option's value by its long name (as written, with dashes).
 * Throws {@link HelpShown} for `--help`, and an Error naming the stage for a bad command line.
 */
export function parseStageArgs(
  stage: string,
  description: string,
  options: readonly StageOption[],
  argv: readonly string[],
): Record<string, string | undefined> {
  let out = "";
  let err = "";
  const cmd = new Command(stage).description(description).exitOverride().allowExcessArguments(false)
    .configureOutput({ writeOut: (s) => out += s, writeErr: (s) => err += s });
  for (const o of options) {
    const opt = new Option(`--${o.name} <value>`, o.description);
    cmd.addOption(o.default === undefined ? opt : opt.default(o.default));
  }
  try {
    cmd.parse([...argv], { from: "user" });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    if (e.exitCode === 0) throw new HelpShown(out);
    throw new Error(`${stage}: ${(err || e.message).replace(/^error: /, "").trim()}`);
  }
  const values = cmd.opts();
  return Object.fromEntries(options.map((o) => [o.name, values[camel(o.name)] as string | undefined]));
}

function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
