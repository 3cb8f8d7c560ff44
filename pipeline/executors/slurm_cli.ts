/**
 * The Slurm commands the executor uses, each a thin typed call: `sbatch` (submit), `squeue` (one batched state
 * poll for many jobs), `scontrol show job` (state, reason, exit code and node of one job while Slurm remembers
 * it), `scancel`. No `sacct`: many clusters restrict it and small ones have no accounting database. Only flags
 * that are stable across Slurm 22.05–25.x are used, and no JSON output (its schema changes between versions).
 *
 * @example
 * ```ts
 * const id = await sbatch(["--parsable", "--job-name=demo"], "/tmp/job.sh");
 * const states = await queueStates([id]);
 * states.get(id)?.state; // "PENDING"
 * ```
 *
 * @module
 */
import { PipelineError } from "../errors.ts";

/** One job as `squeue` lists it. */
export interface QueuedJob {
  readonly id: string;
  /** PENDING, RUNNING, COMPLETING, COMPLETED, FAILED, TIMEOUT, NODE_FAIL, ... */
  readonly state: string;
  /** Why it waits or ended (Resources, Priority, NodeDown, None, ...). */
  readonly reason: string;
  /** The node(s) it runs on, when running. */
  readonly nodes: string;
}

/** One job as `scontrol show job` describes it. */
export interface JobRecord {
  readonly state: string;
  readonly reason: string;
  /** `ExitCode=code:signal`. */
  readonly exitCode: number;
  readonly exitSignal: number;
  readonly nodes: string;
  readonly timeLimit: string;
  /** Every `Key=Value` field, for callers that need more (e.g. `TresPerNode`). */
  readonly fields: Readonly<Record<string, string>>;
}

/** States after which a job will not run again. */
export const FINAL_STATES = new Set([
  "COMPLETED",
  "FAILED",
  "CANCELLED",
  "TIMEOUT",
  "OUT_OF_MEMORY",
  "NODE_FAIL",
  "PREEMPTED",
  "BOOT_FAIL",
  "DEADLINE",
]);

async function slurm(cmd: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  let r: Deno.CommandOutput;
  try {
    r = await new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "piped" }).output();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new PipelineError(
        `'${cmd}' not found: --executor slurm needs Slurm's client commands on this submit host (install ` +
          `slurm-client, or load the site's Slurm module), or run without --executor slurm`,
      );
    }
    throw e;
  }
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout), err: dec.decode(r.stderr).trim() };
}

/** The sbatch option a refusal message is about, so the error can name where to fix it. */
const REFUSAL_OPTIONS: readonly [RegExp, string][] = [
  [/partition/i, "partition"],
  [/account/i, "account"],
  [/qos/i, "qos"],
  [/time limit/i, "time"],
  [/memory|mem/i, "mem"],
  [/gres|gpu/i, "gpu"],
  [/cpu/i, "cpus"],
];

/** Submit the batch script `script` with `args`; returns the job id. A refusal names the option at fault. */
export async function sbatch(args: readonly string[], script: string): Promise<string> {
  const r = await slurm("sbatch", ["--parsable", ...args, script]);
  const id = r.out.trim().split(";")[0];
  if (r.code === 0 && /^\d+$/.test(id)) return id;
  const option = REFUSAL_OPTIONS.find(([re]) => re.test(r.err))?.[1];
  throw new PipelineError(
    `sbatch refused the job: ${r.err.replace(/\s*\n\s*/g, " / ") || `exit code ${r.code}`}` +
      (option
        ? `; check '${option}' (the stage's resources, its 'slurm:' settings, ${"`"}slurm.${option}${"`"} in ` +
          `pipeline.config.yaml or .pipeline/config.local.yaml, or --slurm ${option}=...)`
        : `; sbatch arguments were: ${args.join(" ")}`),
  );
}

/** The state of each of `ids` that Slurm still lists (finished jobs stay for its MinJobAge). One call. */
export async function queueStates(ids: readonly string[]): Promise<Map<string, QueuedJob>> {
  const out = new Map<string, QueuedJob>();
  if (ids.length === 0) return out;
  const r = await slurm("squeue", ["-h", "-t", "all", "-j", ids.join(","), "-o", "%i|%T|%r|%N"]);
  if (r.code !== 0) return out; // e.g. "Invalid job id" once all are purged: callers fall back per job
  for (const line of r.out.split("\n")) {
    const [id, state, reason, nodes] = line.trim().split("|");
    if (id && state) out.set(id, { id, state, reason: reason ?? "", nodes: nodes ?? "" });
  }
  return out;
}

/** Ids of this user's jobs named `name` that are not finished. */
export async function jobsNamed(name: string): Promise<string[]> {
  const r = await slurm("squeue", ["-h", "--name", name, "-o", "%i"]);
  return r.code === 0 ? r.out.split("\n").map((s) => s.trim()).filter(Boolean) : [];
}

/** `scontrol -o show job ID`, parsed; undefined once Slurm has forgotten the job. */
export async function showJob(id: string): Promise<JobRecord | undefined> {
  const r = await slurm("scontrol", ["-o", "show", "job", id]);
  if (r.code !== 0 || !r.out.trim()) return undefined;
  const fields: Record<string, string> = {};
  for (const m of r.out.trim().matchAll(/(\w+)=(\S*)/g)) fields[m[1]] ??= m[2];
  const [code, signal] = (fields.ExitCode ?? "0:0").split(":").map(Number);
  return {
    state: fields.JobState ?? "UNKNOWN",
    reason: fields.Reason ?? "",
    exitCode: code,
    exitSignal: signal,
    nodes: fields.NodeList ?? "",
    timeLimit: fields.TimeLimit ?? "",
    fields,
  };
}

/** `sbatch --version`, e.g. "slurm-wlm 22.05.8"; throws a fix-it error when Slurm's client is missing. */
export async function slurmVersion(): Promise<string> {
  return (await slurm("sbatch", ["--version"])).out.trim();
}

/** Cancel the jobs `ids` (no error for jobs already gone). */
export async function scancel(ids: readonly string[]): Promise<void> {
  if (ids.length > 0) await slurm("scancel", [...ids]);
}
