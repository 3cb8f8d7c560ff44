/**
 * How a stage's command is run: the runner hands an executor a job (commands, environment, working directory,
 * resource claim, log file) and gets back an exit status. Local processes now; Slurm can implement the same.
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
}

/** Runs jobs. */
export interface Executor {
  /** Run `job` to completion (or until `job.signal` aborts it). */
  run(job: Job): Promise<JobResult>;
}
