/**
 * Which executor a `repro` uses and how many stages it runs at once: `--executor` or the project config's
 * `executor:` (default local; `persistent` runs `deno run -A` stages in long-lived hosts, one per job slot); for Slurm, the config's site settings, `--slurm key=value` overrides, `--retries`
 * and a jobs bound of `--jobs` or the config's `slurm.max_jobs` (default 256) instead of the core count.
 *
 * @example
 * ```ts
 * const { executor, jobs } = await chooseExecutor("/proj", { executor: "slurm", slurm: ["partition=gpu"] });
 * ```
 *
 * @module
 */
import { loadConfig } from "./config.ts";
import { PipelineError } from "./errors.ts";
import type { Executor } from "./executor.ts";
import { LocalExecutor } from "./executors/local.ts";
import { PersistentExecutor } from "./executors/persistent.ts";
import { SlurmExecutor } from "./executors/slurm.ts";
import { slurmVersion } from "./executors/slurm_cli.ts";
import { DEFAULT_MAX_JOBS, parseSlurmOverrides } from "./executors/slurm_settings.ts";

/** The executor options of `repro`, as given on the command line. */
export interface ExecutorOptions {
  readonly executor?: string;
  /** `--jobs`, already parsed. */
  readonly jobs?: number;
  readonly retries?: string;
  readonly slurm?: readonly string[];
}

/** The executor and the bound on stages in flight for this run. */
export async function chooseExecutor(
  root: string,
  opts: ExecutorOptions,
): Promise<{ executor: Executor; jobs: number }> {
  const config = await loadConfig(root);
  const name = opts.executor ?? config.executor ?? "local";
  const jobs = opts.jobs;
  const retries = opts.retries === undefined ? 0 : wholeNumber("--retries", opts.retries, 0);
  if (name === "local") {
    if (opts.slurm?.length || opts.retries !== undefined) {
      throw new PipelineError("--slurm and --retries apply to --executor slurm only");
    }
    return { executor: new LocalExecutor(), jobs: jobs ?? (navigator.hardwareConcurrency || 1) };
  }
  if (name === "persistent") {
    if (opts.slurm?.length || opts.retries !== undefined) {
      throw new PipelineError("--slurm and --retries apply to --executor slurm only");
    }
    const n = jobs ?? (navigator.hardwareConcurrency || 1);
    return { executor: new PersistentExecutor(n), jobs: n };
  }
  if (name === "slurm") {
    await slurmVersion(); // fails early, naming what to install, when this host has no Slurm client
    const settings = config.slurm ?? {};
    const { max_jobs: _m, poll_seconds: _p, ...overrides } = parseSlurmOverrides(opts.slurm ?? []);
    return {
      executor: new SlurmExecutor({ settings, overrides, retries }),
      jobs: jobs ?? settings.max_jobs ?? DEFAULT_MAX_JOBS,
    };
  }
  throw new PipelineError(`--executor '${name}': expected local, persistent or slurm`);
}

function wholeNumber(flag: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) {
    throw new PipelineError(`${flag} '${text}': expected a whole number ≥ ${min}`);
  }
  return n;
}
