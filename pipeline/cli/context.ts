/**
 * What every command of the runner's CLI shares: the project root (`-C DIR`), opening a project for the
 * length of one command, repeatable options, the revision to compare with, and the exit code an action sets.
 *
 * A command group is one file in `pipeline/cli/` exporting `register(program, ctx)`; see `program.ts`.
 *
 * @example
 * ```ts
 * program.command("hello").description("say hello").action(ctx.act(async (opts, cmd) => {
 *   await withProject(rootOf(cmd), [], (p) => Promise.resolve(console.log(p.root)));
 *   return 0;
 * }));
 * ```
 *
 * @module
 */
import { resolve } from "node:path";
import type { Command } from "commander";
import { PipelineError } from "../errors.ts";
import { defaultBaseRev, revExists } from "../git.ts";
import { parseOverrides } from "../params.ts";
import { closeProject, openProject, type Project } from "../project.ts";
import { PIPELINE_FILE } from "../spec.ts";

/** State shared by the commands of one CLI invocation. */
export interface CliContext {
  /** The exit code the action that ran asked for. */
  exitCode: number;
  /** Wrap an action that returns an exit code, for `Command.action`. */
  act<A extends unknown[]>(fn: (...args: A) => Promise<number> | number): (...args: A) => Promise<void>;
}

/** A fresh context. */
export function makeContext(): CliContext {
  const ctx: CliContext = {
    exitCode: 0,
    act: (fn) => async (...args) => {
      ctx.exitCode = await fn(...args);
    },
  };
  return ctx;
}

/** The project root of the command: `-C DIR` (each one relative to the previous), else the working directory. */
export function rootOf(cmd: Command): string {
  return (cmd.optsWithGlobals().directory as string | undefined) ?? Deno.cwd();
}

/** commander parser for `-C DIR`, applied once per occurrence. */
export function chdirOption(value: string, previous: string | undefined): string {
  return resolve(previous ?? Deno.cwd(), value);
}

/** commander parser for an option that may repeat (`--set a=1 --set b=2`). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Open the project in `root` with `--set` overrides `sets`, run `fn`, and close it. */
export async function withProject<T>(
  root: string,
  sets: readonly string[],
  fn: (p: Project) => Promise<T>,
): Promise<T> {
  const project = await openProject(root, parseOverrides(sets));
  try {
    return await fn(project);
  } finally {
    await closeProject(project);
  }
}

/** Fail early, before creating `.pipeline/`, when `root` has no pipeline file. */
export function requirePipelineFile(root: string): void {
  try {
    Deno.statSync(`${root}/${PIPELINE_FILE}`);
  } catch {
    throw new PipelineError(`${PIPELINE_FILE} not found in ${root}: create it, or pass -C DIR`);
  }
}

/** `given`, or the default revision to compare with (HEAD; the merge base in CI); it must be a commit. */
export async function baseRev(root: string, given: string | undefined): Promise<string> {
  const rev = given ?? await defaultBaseRev(root);
  if (!(await revExists(root, rev))) {
    throw new PipelineError(
      `'${rev}' is not a git revision here (is ${root} in a git repository with commits?)`,
    );
  }
  return rev;
}
