/**
 * The sandboxing executor: wraps another executor so that each command runs inside bubblewrap (`bwrap`) as
 * pipeline/sandbox.ts describes, then moves the created outs into place, fails the run on an undeclared write
 * and adds hint lines naming each refused path to the log.
 *
 * @module
 */
import type { Executor, Job, JobResult } from "../executor.ts";
import { collectOuts, planSandbox, sandboxEnv, sandboxHints } from "../sandbox.ts";
import { PipelineError } from "../errors.ts";

/** What one sandboxed stage may touch. */
export interface SandboxOptions {
  /** Absolute project root. */
  readonly root: string;
  /** Root-relative declared outs (outs, metrics, plots). */
  readonly outs: readonly string[];
  /** Extra runner-environment variable names let through (see `env_allow` in pipeline.yaml). */
  readonly envAllow: readonly string[];
  /** Absolute staging directory for this stage inside `.pipeline/`. */
  readonly stagingDir: string;
  /**
   * Existing runner paths the command may write (its `PIPELINE_SCRATCH` directory, its run-record directory,
   * its progress file), bound writable inside the otherwise empty `.pipeline/`.
   */
  readonly writable: readonly string[];
}

/**
 * Runs a job of `inner` inside the sandbox.
 *
 * @example
 * ```ts
 * const executor = new SandboxedExecutor(new LocalExecutor(), {
 *   root, outs: ["o.txt"], envAllow: [], stagingDir: `${root}/.pipeline/sandbox/a`,
 *   writable: [`${root}/.pipeline/scratch/a`],
 * });
 * const result = await executor.run(job);
 * ```
 */
export class SandboxedExecutor implements Executor {
  readonly #inner: Executor;
  readonly #opts: SandboxOptions;

  constructor(inner: Executor, opts: SandboxOptions) {
    this.#inner = inner;
    this.#opts = opts;
  }

  /** The inner executor's name (journal records carry it). */
  get name(): string {
    return this.#inner.name;
  }

  /** Stop journaled work through the inner executor. */
  cancel(handle: Readonly<Record<string, unknown>>): Promise<void> {
    return this.#inner.cancel?.(handle) ?? Promise.resolve();
  }

  /** Run `job` sandboxed; a non-zero code when the command failed or wrote an undeclared path. */
  async run(job: Job): Promise<JobResult> {
    if (this.#inner.name !== "local") {
      throw new PipelineError(
        `the sandbox runs commands on this machine only, but stage '${job.stage}' runs on executor ` +
          `'${this.#inner.name}'; drop 'sandbox: true' / --sandbox for it, or use --executor local`,
      );
    }
    await requireBwrap();
    const plan = await planSandbox({
      root: this.#opts.root,
      cwd: job.cwd,
      outs: this.#opts.outs,
      stagingDir: this.#opts.stagingDir,
      writable: this.#opts.writable,
    });
    let result: JobResult;
    let undeclared: string[];
    try {
      result = await this.#inner.run({
        ...job,
        wrapper: ["bwrap", ...plan.args, "--"],
        clearEnv: true,
        env: sandboxEnv(Deno.env.toObject(), job.env, this.#opts.envAllow),
      });
    } finally {
      undeclared = await collectOuts(plan);
    }
    const notes = undeclared.map((path) =>
      `sandbox: the stage wrote '${path}', which is not a declared out; declare it in the stage's outs, or ` +
      `write it under $TMPDIR (it was removed)`
    );
    if (result.code !== 0) {
      const log = await Deno.readTextFile(job.logPath).catch(() => "");
      notes.push(...sandboxHints(log, this.#opts.root));
    }
    if (notes.length > 0) {
      await Deno.writeTextFile(job.logPath, notes.map((n) => `${n}\n`).join(""), { append: true });
      for (const note of notes) job.onLine(note);
    }
    await Deno.remove(this.#opts.stagingDir, { recursive: true }).catch(() => {});
    return undeclared.length > 0 && result.code === 0 ? { ...result, code: 1 } : result;
  }
}

let bwrapChecked = false;

async function requireBwrap(): Promise<void> {
  if (bwrapChecked) return;
  let found = false;
  try {
    found =
      (await new Deno.Command("bwrap", { args: ["--version"], stdout: "null", stderr: "null" }).output())
        .success;
  } catch { /* not on PATH */ }
  if (!found) {
    throw new PipelineError(
      "the sandbox needs bubblewrap ('bwrap'), which is not installed: install the Debian package " +
        "bubblewrap ('./run setup repro' does), or run without --sandbox / 'sandbox: true'",
    );
  }
  bwrapChecked = true;
}
