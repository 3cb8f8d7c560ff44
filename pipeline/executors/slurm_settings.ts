/**
 * Slurm site settings (partition, account, qos, extra sbatch arguments, the setup line a site needs, default
 * resources) and how a stage's resources become sbatch options. Settings come from the project config, a stage's
 * `slurm:` mapping in pipeline.yaml and `--slurm key=value` on the command line, later ones winning.
 *
 * @example
 * ```ts
 * const s = mergeSlurmSettings({ partition: "gpu", time: "2:00:00" }, { time: 30 });
 * sbatchResourceArgs(s, { gpu: 1, cpus: 4 }); // ["--partition=gpu", "--gres=gpu:1", "--cpus-per-task=4", "--time=30"]
 * ```
 *
 * @module
 */
import { z } from "zod";
import { PipelineError } from "../errors.ts";

/** A Slurm time limit: minutes as a number, or any `--time` string (`"30"`, `"2:00:00"`, `"1-12:00:00"`). */
const timeLimit = z.union([
  z.number().int().positive(),
  z.string().regex(/^(\d+-)?\d+(:\d+){0,2}$/, "a Slurm time such as 30, '2:00:00' or '1-12:00:00'"),
]);
/** Memory per node: megabytes as a number, or a string with a unit (`"4G"`, `"500M"`). */
const memory = z.union([
  z.number().int().positive(),
  z.string().regex(/^\d+[KMGT]?$/, "a memory size such as 4000 (MB), '500M' or '4G'"),
]);

/** Settings that may differ per stage (and per run, from the command line). */
export const slurmStageSchema = z.strictObject({
  /** `--partition`. */
  partition: z.string().min(1).optional(),
  /** `--account`. */
  account: z.string().min(1).optional(),
  /** `--qos`. */
  qos: z.string().min(1).optional(),
  /** Default `--cpus-per-task` when the stage's resources name no `cpus`. */
  cpus: z.number().int().positive().optional(),
  /** Default `--mem` when the stage's resources name no `mem`. */
  mem: memory.optional(),
  /** Default `--time` when the stage's resources name no `time`. */
  time: timeLimit.optional(),
  /** How GPUs are asked for: `--gres=gpu:N` (default) or `--gpus=N`. */
  gpu_flag: z.enum(["gres", "gpus"]).optional(),
  /** More sbatch arguments, passed as given (e.g. `["--constraint=a100", "--exclusive"]`). */
  extra_args: z.array(z.string().regex(/^--?\w/, "an sbatch option starting with '-'")).optional(),
  /** A shell line run in the job before the stage's commands (e.g. `module load cuda/12`). */
  setup: z.string().optional(),
});

/** Settings of the whole run (config file or command line only). */
export const slurmSettingsSchema = slurmStageSchema.extend({
  /** Most jobs in flight when `--jobs` is not given. */
  max_jobs: z.number().int().positive().optional(),
  /** Seconds between two `squeue` polls (one call for all jobs). */
  poll_seconds: z.number().positive().optional(),
});

/** Per-stage Slurm settings. */
export type SlurmStageSettings = z.infer<typeof slurmStageSchema>;
/** Run-wide Slurm settings. */
export type SlurmSettings = z.infer<typeof slurmSettingsSchema>;

/** `max_jobs` when the config does not set it. */
export const DEFAULT_MAX_JOBS = 256;

/** Layer settings: later arguments win key by key; `extra_args` accumulate. */
export function mergeSlurmSettings<T extends SlurmStageSettings>(...layers: (T | undefined)[]): T {
  const out: Record<string, unknown> = {};
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer ?? {})) {
      if (v === undefined) continue;
      out[k] = k === "extra_args" ? [...(out[k] as string[] ?? []), ...(v as string[])] : v;
    }
  }
  return out as T;
}

/**
 * The sbatch options for a stage: site settings, then its resources (`gpu`, `cpus`, `mem` in MB, `time` in
 * minutes), which take precedence over the settings' defaults. Other resource names are pool tokens of the local
 * executor and are not sent.
 */
export function sbatchResourceArgs(
  s: SlurmStageSettings,
  resources: Readonly<Record<string, number>>,
): string[] {
  const args: string[] = [];
  if (s.partition) args.push(`--partition=${s.partition}`);
  if (s.account) args.push(`--account=${s.account}`);
  if (s.qos) args.push(`--qos=${s.qos}`);
  const gpu = resources.gpu;
  if (gpu && gpu > 0) {
    args.push(s.gpu_flag === "gpus" ? `--gpus=${Math.ceil(gpu)}` : `--gres=gpu:${Math.ceil(gpu)}`);
  }
  const cpus = resources.cpus ?? s.cpus;
  if (cpus) args.push(`--cpus-per-task=${Math.ceil(cpus)}`);
  const mem = resources.mem ?? s.mem;
  if (mem) args.push(`--mem=${typeof mem === "number" ? Math.ceil(mem) : mem}`);
  const time = resources.time ?? s.time;
  if (time) args.push(`--time=${typeof time === "number" ? Math.ceil(time) : time}`);
  args.push(...(s.extra_args ?? []));
  return args;
}

/**
 * Parse `--slurm key=value` items into settings (numbers and JSON lists are read as such), validated.
 *
 * @example
 * ```ts
 * parseSlurmOverrides(["partition=gpu", "time=2:00:00", 'extra_args=["--exclusive"]']);
 * ```
 */
export function parseSlurmOverrides(items: readonly string[]): SlurmSettings {
  const raw: Record<string, unknown> = {};
  for (const item of items) {
    const m = item.match(/^([a-z_]+)=(.*)$/s);
    if (!m) throw new PipelineError(`--slurm '${item}': expected key=value, e.g. --slurm partition=gpu`);
    const [, key, value] = m;
    raw[key] = /^-?\d+(\.\d+)?$/.test(value)
      ? Number(value)
      : value.startsWith("[")
      ? parseJson(value, item)
      : value;
  }
  const parsed = slurmSettingsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PipelineError(`--slurm ${issue.path.join(".") || ""}: ${issue.message}`);
  }
  return parsed.data;
}

function parseJson(text: string, item: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new PipelineError(
      `--slurm '${item}': the list is not valid JSON, e.g. extra_args='["--exclusive"]'`,
    );
  }
}
