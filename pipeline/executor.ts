/**
 * How a stage's command is run: the runner hands an executor a job (commands, environment, working directory,
 * resource claim, log file) and gets back an exit status. Local processes (`executors/local.ts`), local
 * persistent stage hosts (`executors/persistent.ts`) and Slurm jobs (`executors/slurm.ts`). An executor whose work outlives the runner reports a handle through `onStarted`, which
 * the runner journals, and can later `resume` waiting on that handle or cancel it.
 *
 * @module
 */

/** One stage run for an executor. */
export interface Job {
  /** Stage name, for the executor's own bookkeeping (e.g. a Slurm job name). */
  readonly stage: string;
  /** Shell commands, run in order, stopping at the first failure. */
  readonly cmd: readonly string[];
  /** Absolute working directory. */
  readonly cwd: string;
  /** Extra environment on top of the runner's own. */
  readonly env: Readonly<Record<string, string>>;
  /** Resources granted, e.g. `{ gpu: [0] }`: the slot indices of each resource. */
  readonly resources: Readonly<Record<string, readonly number[]>>;
  /** File that receives the job's combined stdout and stderr. */
  readonly logPath: string;
  /** Called with each complete line of output, as it arrives. */
  readonly onLine: (line: string) => void;
  /** Aborted when the run is interrupted: the executor must stop the job and return. */
  readonly signal: AbortSignal;
  /** Program and options each command runs under, before `bash -c cmd` (the sandbox's `bwrap … --`). */
  readonly wrapper?: readonly string[];
  /** Run with exactly `env` (plus resource slots) instead of on top of the runner's environment. */
  readonly clearEnv?: boolean;
  /** The stage key (a hash of its inputs), for job names. */
  readonly key?: string;
  /** The stage's declared resource claims, e.g. `{ gpu: 1, cpus: 4 }`, for executors that schedule them. */
  readonly claims?: Readonly<Record<string, number>>;
  /** The stage's executor-specific settings from pipeline.yaml, by executor name (e.g. `{ slurm: {...} }`). */
  readonly settings?: Readonly<Record<string, unknown>>;
  /** Called with the executor's handle when work starts that would outlive the runner (a batch job). */
  readonly onStarted?: (handle: Readonly<Record<string, unknown>>) => Promise<void>;
  /** A handle a previous runner journaled: wait for that work instead of starting it again. */
  readonly resume?: Readonly<Record<string, unknown>>;
  /** Called with a short state line (e.g. "job 12 PENDING (Resources)") when it changes. */
  readonly onStatus?: (status: string) => void;
  /** Called before resubmitting after a node-level failure: clear what the failed attempt left. */
  readonly beforeRetry?: () => Promise<void>;
  /**
   * Called when a command's processes have started on this machine, with what identifies them (local: `pid`,
   * `pgid`), for the backup journal; the next `repro` reports it when it ends a dead runner's leftovers (found
   * by `PIPELINE_RUN_ID`, see run_processes.ts).
   */
  readonly onSpawned?: (info: Readonly<Record<string, unknown>>) => Promise<void>;
}

/** How a job ended. */
export interface JobResult {
  /** Exit code (non-zero on failure); 128 + n when killed by signal n. */
  readonly code: number;
  /** The signal that ended the job, if one did. */
  readonly signal?: string;
  /** Wall time in milliseconds. */
  readonly ms: number;
  /** Peak resident memory of the job's processes in KiB, when known. */
  readonly maxRssKb?: number;
  /** How the job ended in the executor's words, for failures (e.g. "Slurm job 12 TIMEOUT ..."). */
  readonly detail?: string;
}

/**
 * A job the run is about to start, as far as it is known before the stage's turn (no log, no run id, no
 * per-run variables): what {@link Executor.warm} prepares for.
 */
export type JobPreview = Pick<Job, "stage" | "cmd" | "cwd" | "env" | "resources">;

/** Runs jobs. */
export interface Executor {
  /** Its name, as on the command line (`local`, `slurm`); journal records carry it. */
  readonly name: string;
  /** True when a scheduler allocates resources, so the runner's local resource pool does not apply. */
  readonly schedulesResources?: boolean;
  /** Run `job` to completion (or until `job.signal` aborts it). */
  run(job: Job): Promise<JobResult>;
  /** Stop the work behind a journaled handle and wait until it has stopped. */
  cancel?(handle: Readonly<Record<string, unknown>>): Promise<void>;
  /**
   * Prepare for the jobs of this run, ahead of their turn, without waiting (persistent: start the hosts and
   * load their modules while the first stages run). A preparation that fails costs nothing but time: the job
   * itself then does the work and reports what goes wrong.
   */
  warm?(jobs: readonly JobPreview[]): void;
  /**
   * No job will be started after those running now (the runner has launched every stage), of which `upcoming`
   * were launched just now and may not have reached {@link run} yet: release, without waiting, what no job will
   * use (persistent: idle hosts but `upcoming` end now, busy ones after their job), so that it ends while the
   * last stages run rather than after them. A job that comes all the same still runs.
   */
  drain?(upcoming: number): void;
  /** Release what the executor keeps between jobs (persistent stage hosts), once the run is over. */
  close?(): Promise<void>;
}
