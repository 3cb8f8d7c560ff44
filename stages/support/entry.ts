/**
 * The entry point of every stage script. {@link stageEntry} turns the stage's work into the exported `main`:
 * argv in, exit code out, a failure's message printed without a stack trace, `--help` (raised by
 * stage_command.ts as {@link HelpShown}) printed with code 0, and every tensor and variable the stage made
 * disposed at the end. The runner's persistent stage hosts (pipeline/stage_host.ts) call that `main` for one
 * stage after another in one process; {@link runStage} runs it as the process and exits with its code —
 * explicitly, because wasm pthread workers would otherwise keep the process alive after the work is done (seen
 * with stdin not a terminal, i.e. under the runner).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { HelpShown } from "./stage_command.ts";
import { recordRunFacts } from "./run_facts.ts";
import { startStageCosts } from "./stage_costs.ts";

/** A stage's `main` as processes and stage hosts call it: the arguments in, the exit code out. */
export type StageMain = (argv: string[]) => Promise<number>;

/**
 * The stage's exported `main` from its work `run`. Tensors and variables made during `run` are disposed when
 * it ends, so a stage host's next stage starts with the memory the first one had (the backend itself, its
 * compiled programs included, stays: that is what a host saves). What the run cost the process (CPU seconds,
 * and WebGPU calls when asked: stage_costs.ts) goes into its run record when a runner asked for one.
 *
 * @example
 * ```ts
 * export const main = stageEntry(async (argv) => {
 *   const args = parseRunArgs("measure-selectivity", argv, { data: "outputs/data", out: "outputs/selectivity" });
 *   // ...
 * });
 * if (import.meta.main) await runStage(main);
 * ```
 */
export function stageEntry(run: (argv: string[]) => Promise<void>): StageMain {
  return async (argv) => {
    const costs = startStageCosts();
    tf.engine().startScope();
    try {
      await run(argv);
      await recordRunFacts(costs.facts());
      return 0;
    } catch (e) {
      if (e instanceof HelpShown) {
        console.log(e.text.trimEnd());
        return 0;
      }
      console.error((e as Error).message);
      return 1;
    } finally {
      tf.engine().endScope();
      tf.disposeVariables();
    }
  };
}

/**
 * Run `main` as the process with the process's arguments, and exit with its code.
 *
 * @example
 * ```ts
 * if (import.meta.main) await runStage(main);
 * ```
 */
export async function runStage(main: StageMain): Promise<never> {
  Deno.exit(await main(Deno.args));
}
