/**
 * The entry point of every stage script: run its `main`, print a failure's message (without a stack trace) and
 * exit 1, else exit 0 — explicitly, because wasm pthread workers would otherwise keep the process alive after
 * the work is done (seen with stdin not a terminal, i.e. under the runner). `--help` (raised by
 * stage_command.ts as {@link HelpShown}) prints the stage's options and exits 0.
 *
 * @module
 */
import { HelpShown } from "./stage_command.ts";

/**
 * Run `main` as the process and exit with its outcome.
 *
 * @example
 * ```ts
 * if (import.meta.main) await runStage(main);
 * ```
 */
export async function runStage(main: () => Promise<void>): Promise<never> {
  try {
    await main();
  } catch (e) {
    if (e instanceof HelpShown) {
      console.log(e.text.trimEnd());
      Deno.exit(0);
    }
    console.error((e as Error).message);
    Deno.exit(1);
  }
  Deno.exit(0);
}
