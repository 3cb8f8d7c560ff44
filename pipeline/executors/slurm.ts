/**
 * The Slurm executor: each stage run becomes one batch job. The job script runs the stage's commands in the
 * stage's working directory (the workspace is on a filesystem the nodes share) and, when they end, writes their
 * exit status to `<log base>.<job id>.exit` atomically; the runner polls every job in flight with one `squeue`
 * call per tick, tails the job's log (sbatch `--output`) for the live display, and on the job's end reads the
 * exit file, falling back on `scontrol show job` for Slurm's own verdict (TIMEOUT, OUT_OF_MEMORY, NODE_FAIL,
 * CANCELLED, FAILED with exit code). Jobs that fail for a node-level reason (NODE_FAIL, PREEMPTED, BOOT_FAIL,
 * or FAILED with reason JobLaunchFailure and no exit file) are resubmitted up to `retries` times. The job
 * handle is reported through `onStarted` before and after sbatch, so a runner killed outright can be followed
 * by one that reattaches (`resume`) or cancels.
 *
 * @example
 * ```ts
 * const executor = new SlurmExecutor({ settings: { partition: "gpu" }, overrides: {}, retries: 1 });
 * const result = await executor.run(job); // job.claims = { gpu: 1 } becomes --gres=gpu:1
 * ```
 *
 * @module
 */
import { basename, dirname } from "node:path";
import type { Executor, Job, JobResult } from "../executor.ts";
import { type SlurmHandle, slurmHandleSchema } from "../running.ts";
import {
  FINAL_STATES,
  jobsNamed,
  type QueuedJob,
  queueStates,
  sbatch,
  scancel,
  showJob,
} from "./slurm_cli.ts";
import {
  mergeSlurmSettings,
  sbatchResourceArgs,
  type SlurmSettings,
  slurmStageSchema,
  type SlurmStageSettings,
} from "./slurm_settings.ts";

/** How the executor is set up for one run. */
export interface SlurmExecutorOptions {
  /** Site settings from the project config: the defaults of every job. */
  readonly settings: SlurmSettings;
  /** Settings from the command line: they win over a stage's own. */
  readonly overrides: SlurmStageSettings;
  /** Resubmissions allowed per stage after node-level failures. */
  readonly retries: number;
}

/** Job states that say the node, not the stage, failed. */
const NODE_LEVEL = new Set(["NODE_FAIL", "PREEMPTED", "BOOT_FAIL"]);
/**
 * Reasons that make a FAILED job without an exit file node-level: the node could not start the script, or lost
 * it (a node stopping kills the step with signal 9), so the stage never ran to its end there.
 */
const NODE_LEVEL_FAILED_REASONS = new Set(["JobLaunchFailure"]);
/** Polls in a row that may miss a job before it counts as gone (a controller restart, a slow shared FS). */
const MISSES_BEFORE_GONE = 3;

interface Ending {
  readonly code: number;
  readonly detail?: string;
  readonly nodeLevel?: boolean;
  readonly cancelled?: boolean;
}

/** Runs each job as a Slurm batch job. */
export class SlurmExecutor implements Executor {
  /** The executor's name. */
  readonly name = "slurm";
  /** Slurm allocates GPUs, CPUs and memory; the runner's local pool does not apply. */
  readonly schedulesResources = true;
  readonly #opts: SlurmExecutorOptions;
  readonly #watched = new Set<string>();
  #tick?: Promise<Map<string, QueuedJob>>;

  /** An executor with these settings. */
  constructor(opts: SlurmExecutorOptions) {
    this.#opts = opts;
  }

  /** Submit the job (or reattach to `job.resume`), wait for it, resubmit after node-level failures. */
  async run(job: Job): Promise<JobResult> {
    const started = performance.now();
    const settings = mergeSlurmSettings<SlurmStageSettings>(
      this.#opts.settings,
      job.settings?.slurm ? slurmStageSchema.parse(job.settings.slurm) : undefined,
      this.#opts.overrides,
    );
    const base = job.logPath.replace(/\.log$/, "");
    const tail = new LogTail(job.logPath, job.onLine);
    let handle = job.resume ? await this.#locate(slurmHandleSchema.parse(job.resume), job) : undefined;
    let attempt = handle?.attempt ?? 1;
    while (true) {
      if (!handle?.job_id) handle = await this.#submit(job, settings, base, attempt);
      const ending = await this.#wait(handle, job, tail);
      await tail.pump();
      if (ending.cancelled) {
        await this.cancel(handle);
        return { code: 130, signal: "SIGINT", ms: performance.now() - started, detail: ending.detail };
      }
      if (ending.nodeLevel && attempt <= this.#opts.retries) {
        job.onLine(`${ending.detail}; resubmitting (retry ${attempt} of ${this.#opts.retries})`);
        await job.beforeRetry?.();
        attempt++;
        handle = undefined;
        continue;
      }
      return { code: ending.code, ms: performance.now() - started, detail: ending.detail };
    }
  }

  /** Cancel the job behind `handle` (found by name when the id was never journaled) and wait until it ends. */
  async cancel(raw: Readonly<Record<string, unknown>>): Promise<void> {
    const handle = slurmHandleSchema.parse(raw);
    const ids = handle.job_id ? [handle.job_id] : await jobsNamed(handle.job_name);
    await scancel(ids);
    for (let i = 0; i < 300; i++) {
      const states = await queueStates(ids);
      if (![...states.values()].some((q) => !FINAL_STATES.has(q.state))) return;
      await sleep(100);
    }
  }

  /** A journaled handle made whole: a record written just before sbatch has no id; the job's name finds it. */
  async #locate(handle: SlurmHandle, job: Job): Promise<SlurmHandle | undefined> {
    if (handle.job_id) return handle;
    const live = await jobsNamed(handle.job_name);
    if (live.length > 0) return { ...handle, job_id: live[0] };
    const ended = await exitFiles(handle.exit_base);
    if (ended.length > 0) return { ...handle, job_id: ended[ended.length - 1] };
    job.onLine(
      `no Slurm job named ${handle.job_name} was found: the previous runner died before submitting it`,
    );
    return undefined;
  }

  async #submit(job: Job, s: SlurmStageSettings, base: string, attempt: number): Promise<SlurmHandle> {
    const script = `${base}.sh`;
    await Deno.writeTextFile(script, jobScript(job, s, base));
    const jobName = `${job.stage}@${(job.key ?? "").slice(0, 12)}`;
    const pending: SlurmHandle = { job_name: jobName, exit_base: base, attempt };
    await job.onStarted?.(pending);
    const id = await sbatch([
      `--job-name=${jobName}`,
      `--output=${job.logPath.replaceAll("%", "%%")}`, // sbatch expands %j, %x, ... in the path
      "--open-mode=append",
      `--chdir=${job.cwd}`,
      "--no-requeue",
      ...sbatchResourceArgs(s, job.claims ?? {}),
    ], script);
    const handle = { ...pending, job_id: id };
    await job.onStarted?.(handle);
    job.onStatus?.(`job ${id} submitted`);
    return handle;
  }

  /** Poll until the job ends or the run is interrupted. */
  async #wait(handle: SlurmHandle, job: Job, tail: LogTail): Promise<Ending> {
    const id = handle.job_id!;
    const aborted = new Promise<null>((resolve) => {
      if (job.signal.aborted) resolve(null);
      job.signal.addEventListener("abort", () => resolve(null), { once: true });
    });
    this.#watched.add(id);
    let status = "";
    let misses = 0;
    try {
      while (true) {
        const states = await Promise.race([this.#nextPoll(), aborted]);
        await tail.pump();
        if (states === null) {
          return { code: 130, cancelled: true, detail: `Slurm job ${id} cancelled (interrupted)` };
        }
        const q = states.get(id);
        if (q && !FINAL_STATES.has(q.state)) {
          misses = 0;
          const now = q.state === "RUNNING"
            ? `job ${id} RUNNING on ${q.nodes}`
            : `job ${id} ${q.state}${q.reason && q.reason !== "None" ? ` (${q.reason})` : ""}`;
          if (now !== status) job.onStatus?.(status = now);
          continue;
        }
        if (!q) { // not listed this tick: just submitted, or Slurm was briefly unreachable, or long gone
          const rec = await showJob(id);
          if (rec && !FINAL_STATES.has(rec.state)) continue;
          if (!rec && ++misses < MISSES_BEFORE_GONE) continue;
        }
        return await conclude(handle, q);
      }
    } finally {
      this.#watched.delete(id);
    }
  }

  /** The next batched poll of every watched job: concurrent waiters share one `squeue` call per tick. */
  #nextPoll(): Promise<Map<string, QueuedJob>> {
    this.#tick ??= sleep((this.#opts.settings.poll_seconds ?? 1) * 1000)
      .then(() => queueStates([...this.#watched]))
      .finally(() => this.#tick = undefined);
    return this.#tick;
  }
}

/** How a job that left the running states ended: the exit file first, then Slurm's record. */
async function conclude(handle: SlurmHandle, q: QueuedJob | undefined): Promise<Ending> {
  const id = handle.job_id!;
  const rec = await showJob(id);
  const state = rec?.state ?? q?.state;
  const where = rec?.nodes || q?.nodes ? ` on ${rec?.nodes || q?.nodes}` : "";
  // The exit file may lag on a shared filesystem: wait a little for it when the script ran to its end.
  const exit = await readExit(
    handle.exit_base,
    id,
    !state || state === "COMPLETED" || state === "FAILED" ? 5000 : 0,
  );
  if (exit !== undefined && (!state || state === "COMPLETED" || state === "FAILED")) {
    return exit === 0
      ? { code: 0 }
      : { code: exit, detail: `Slurm job ${id} FAILED with exit code ${exit}${where}` };
  }
  const reason = rec?.reason && rec.reason !== "None" ? `, reason ${rec.reason}` : "";
  switch (state) {
    case "TIMEOUT":
      return {
        code: 124,
        detail:
          `Slurm job ${id} TIMEOUT: it ran past its time limit (${rec?.timeLimit ?? "?"})${where}; raise ` +
          `'time' in the stage's resources or its slurm settings`,
      };
    case "OUT_OF_MEMORY":
      return {
        code: 137,
        detail:
          `Slurm job ${id} OUT_OF_MEMORY${where}; raise 'mem' in the stage's resources or slurm settings`,
      };
    case "CANCELLED":
      return {
        code: 130,
        detail: `Slurm job ${id} CANCELLED outside the runner (scancel or an administrator)`,
      };
    case "COMPLETED":
      return {
        code: 1,
        detail: `Slurm job ${id} COMPLETED${where} but its script wrote no exit-status file ` +
          `(${handle.exit_base}.${id}.exit): the node could not run it, or it does not share this filesystem`,
      };
    case "FAILED": {
      const code = rec?.exitCode || (rec?.exitSignal ? 128 + rec.exitSignal : 1);
      const detail =
        `Slurm job ${id} FAILED with exit code ${rec?.exitCode}:${rec?.exitSignal}${reason}${where}`;
      return {
        code,
        detail,
        ...(NODE_LEVEL_FAILED_REASONS.has(rec?.reason ?? "") ? { nodeLevel: true } : {}),
      };
    }
  }
  if (state && NODE_LEVEL.has(state)) {
    return { code: 1, nodeLevel: true, detail: `Slurm job ${id} ${state}${reason}${where}` };
  }
  return {
    code: 1,
    detail: state
      ? `Slurm job ${id} ended ${state}${reason}${where}`
      : `Slurm job ${id} left the queue without an exit-status file; Slurm no longer knows it`,
  };
}

async function readExit(base: string, id: string, waitMs: number): Promise<number | undefined> {
  const deadline = performance.now() + waitMs;
  while (true) {
    try {
      const text = (await Deno.readTextFile(`${base}.${id}.exit`)).trim();
      if (/^\d+$/.test(text)) return Number(text);
    } catch { /* not there (yet) */ }
    if (performance.now() >= deadline) return undefined;
    await sleep(200);
  }
}

/** Job ids that wrote an exit file under `base`, in submission order. */
async function exitFiles(base: string): Promise<string[]> {
  const prefix = `${basename(base)}.`;
  const ids: string[] = [];
  try {
    for await (const e of Deno.readDir(dirname(base))) {
      const m = e.name.startsWith(prefix) && e.name.slice(prefix.length).match(/^(\d+)\.exit$/);
      if (m) ids.push(m[1]);
    }
  } catch { /* no log dir */ }
  return ids.sort((a, b) => Number(a) - Number(b));
}

/** The batch script: the site's setup line, the stage's environment, its commands, then the exit file. */
function jobScript(job: Job, s: SlurmStageSettings, base: string): string {
  const q = (v: string) => `'${v.replaceAll("'", `'\\''`)}'`;
  const lines = [
    "#!/bin/bash",
    `# Stage '${job.stage}', written by the pipeline runner. Exit status goes to ${base}.<job id>.exit.`,
    `__exit=${q(base)}.$SLURM_JOB_ID.exit`,
    `__finish() { printf '%s\\n' "$1" > "$__exit.tmp" && mv -f "$__exit.tmp" "$__exit"; exit "$1"; }`,
    ...Object.entries(job.env).map(([k, v]) => `export ${k}=${q(v)}`),
  ];
  if (s.setup) lines.push(`eval ${q(s.setup)} || __finish $?`);
  for (const cmd of job.cmd) {
    lines.push(`printf '%s\\n' ${q(`$ ${cmd}`)}`);
    lines.push(`bash --noprofile --norc -o pipefail -c ${q(cmd)} < /dev/null || __finish $?`);
  }
  lines.push("__finish 0", "");
  return lines.join("\n");
}

/** Follows a log file that another machine appends to, handing each new complete line on. */
class LogTail {
  #offset = 0;
  #pending = "";
  readonly #decoder = new TextDecoder();
  constructor(readonly path: string, readonly onLine: (line: string) => void) {}

  async pump(): Promise<void> {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(this.path);
    } catch {
      return;
    }
    try {
      await file.seek(this.#offset, Deno.SeekMode.Start);
      const buf = new Uint8Array(65536);
      while (true) {
        const n = await file.read(buf);
        if (n === null || n === 0) break;
        this.#offset += n;
        this.#pending += this.#decoder.decode(buf.subarray(0, n), { stream: true });
      }
    } finally {
      file.close();
    }
    const lines = this.#pending.split(/\r?\n|\r/);
    this.#pending = lines.pop()!;
    for (const line of lines) if (line.trim()) this.onLine(line);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
