/**
 * Carrying out one stage's decision: restore its outputs from the cache, or run its command and record the
 * result (outputs committed to the cache, a run-cache entry, the lock entry). A failed or interrupted run puts
 * the previous outputs back and records nothing.
 *
 * @module
 */
import { OutputBackup } from "./backup.ts";
import { encodeNonFinite } from "./canonical.ts";
import { DamagedObjectError, type Digested } from "./cache.ts";
import { PipelineError } from "./errors.ts";
import type { Executor, JobPreview } from "./executor.ts";
import { SandboxedExecutor } from "./executors/sandbox.ts";
import type { DepRecord, LockEntry } from "./lock.ts";
import { runCacheable } from "./plan.ts";
import type { Decision } from "./plan.ts";
import { PROGRESS_ENV, ProgressFileTail, type ProgressUpdate } from "./progress.ts";
import type { Project } from "./project.ts";
import { finishRunRecord, RUN_RECORD_ENV, runRecordPaths } from "./run_records.ts";
import { RUN_ID_ENV } from "./run_processes.ts";
import { RunningJournal, type RunningRecord } from "./running.ts";
import type { StageSpec } from "./spec.ts";
import { faultPoint } from "./fault.ts";

/** How carrying out a stage ended. */
export interface StageOutcome {
  readonly status: "ran" | "restored" | "failed";
  readonly ms: number;
  /** For failures: what went wrong, and what to do. */
  readonly error?: string;
  /** The log of the run, when the command ran. */
  readonly logPath?: string;
  /** Warnings worth showing (e.g. a dep changed while the stage ran). */
  readonly warnings?: readonly string[];
}

/** What {@link carryOut} needs besides the project. */
export interface RunContext {
  readonly executor: Executor;
  readonly signal: AbortSignal;
  readonly onLine: (line: string) => void;
  /** Called with the stage's latest progress report (see pipeline/progress.ts), about four times a second. */
  readonly onProgress?: (update: ProgressUpdate) => void;
  /** Resource slots granted to the stage. */
  readonly slots: Readonly<Record<string, readonly number[]>>;
  /** Serialises lock writes between concurrently finishing stages. */
  readonly recordLock: (name: string, entry: LockEntry) => Promise<void>;
  /** Run every stage in the sandbox (`repro --sandbox`), not only those with `sandbox: true`. */
  readonly sandbox?: boolean;
  /** Shows the executor's state of the stage's job (e.g. "job 12 PENDING (Resources)"). */
  readonly onStatus?: (status: string) => void;
  /** A journaled batch job of this stage, left by a runner that died, still going: wait for it, start nothing. */
  readonly resume?: RunningRecord;
}

/**
 * Restore or run `stage` as `decision` says. A damaged cache object during a restore falls back to running.
 *
 * @example
 * ```ts
 * const outcome = await carryOut(project, stage, decision, ctx);
 * ```
 */
export async function carryOut(
  project: Project,
  stage: StageSpec,
  decision: Decision,
  ctx: RunContext,
): Promise<StageOutcome> {
  const started = performance.now();
  if (decision.action === "restore" && decision.result) {
    try {
      for (const [path, rec] of Object.entries(decision.result.outs)) {
        await project.objects.checkout(project.root, path, rec, project.hasher);
      }
      await ctx.recordLock(stage.name, decision.result);
      return { status: "restored", ms: performance.now() - started };
    } catch (e) {
      if (isOsError(e)) {
        return {
          status: "failed",
          ms: performance.now() - started,
          error: `could not restore its outputs from the cache: ${(e as Error).message}; the workspace is ` +
            `as it was: free disk space or fix permissions, then run repro again`,
        };
      }
      if (!(e instanceof DamagedObjectError)) throw e;
      ctx.onLine(`${e.message}; running the stage instead`);
    }
  }
  return await runCommand(project, stage, decision, ctx, started);
}

async function runCommand(
  project: Project,
  stage: StageSpec,
  decision: Decision,
  ctx: RunContext,
  started: number,
): Promise<StageOutcome> {
  const logDir = `${project.dir}/logs/${encodeURIComponent(stage.name)}`;
  await Deno.mkdir(logDir, { recursive: true });
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[:.]/g, "-");
  const logPath = ctx.resume?.log ?? `${logDir}/${stamp}.log`; // a reattached job keeps its log
  const runRecord = runRecordPaths(project.dir, stage.name, stamp);
  await Deno.mkdir(runRecord.dir, { recursive: true });
  const progressPath = `${project.dir}/tmp/progress-${encodeURIComponent(stage.name)}.jsonl`;
  await Deno.mkdir(`${project.dir}/tmp`, { recursive: true });
  await Deno.remove(progressPath).catch(() => {});
  const tail = ctx.onProgress ? new ProgressFileTail(progressPath, ctx.onProgress) : undefined;
  const movable = stage.outs.filter((o) => !o.persist).map((o) => o.path);
  const tmpDir = `${project.dir}/tmp`;
  const backup = (ctx.resume && await OutputBackup.reopen(project.root, tmpDir, stage.name)) ||
    await OutputBackup.take(project.root, tmpDir, stage.name, movable, crypto.randomUUID());
  const runId = backup.journal.running?.runId ?? crypto.randomUUID();
  // Work that outlives the runner (a batch job) is journaled while it runs, so a later runner can find it.
  const journal = new RunningJournal(project.dir);
  const executorName = ctx.executor.name;
  const fail = async (error: string): Promise<StageOutcome> => {
    await backup.restore();
    return { status: "failed", ms: performance.now() - started, error, logPath };
  };
  const scratchDir = `${project.dir}/scratch/${encodeURIComponent(stage.name)}`;
  await Deno.mkdir(scratchDir, { recursive: true });
  const sandboxed = stage.sandbox || ctx.sandbox;
  if (sandboxed) await Deno.writeTextFile(progressPath, ""); // bound writable into the sandbox, so it must exist
  const executor = sandboxed
    ? new SandboxedExecutor(ctx.executor, {
      root: project.root,
      outs: stage.outs.map((o) => o.path),
      envAllow: stage.envAllow,
      stagingDir: `${project.dir}/sandbox/${encodeURIComponent(stage.name)}`,
      writable: [scratchDir, runRecord.dir, progressPath],
    })
    : ctx.executor;
  let result;
  try {
    result = await executor.run({
      stage: stage.name,
      cmd: stage.cmd,
      cwd: stageCwd(project, stage),
      env: {
        ...stageEnv(project, stage, decision),
        [RUN_RECORD_ENV]: runRecord.facts,
        [PROGRESS_ENV]: progressPath,
        [RUN_ID_ENV]: runId,
        PIPELINE_SCRATCH: scratchDir,
      },
      // Never fails the run: the run id is journaled already, which is what recovery relies on.
      onSpawned: (info) =>
        backup.recordSpawned(info).catch((e) =>
          ctx.onLine(`warning: could not journal the spawned processes (${(e as Error).message})`)
        ),
      resources: ctx.slots,
      logPath,
      onLine: ctx.onLine,
      signal: ctx.signal,
      key: decision.key,
      claims: stage.resources,
      settings: stage.executorSettings,
      onStatus: ctx.onStatus,
      resume: ctx.resume?.[executorName] as Record<string, unknown> | undefined,
      onStarted: (handle) =>
        journal.write({
          stage: stage.name,
          key: decision.key!,
          executor: executorName,
          log: logPath,
          started: new Date().toISOString(),
          [executorName]: handle,
        }),
      beforeRetry: async () => {
        for (const out of movable) {
          await Deno.remove(`${project.root}/${out}`, { recursive: true }).catch(() => {});
        }
      },
    });
  } catch (e) {
    tail?.stop();
    await Deno.remove(progressPath).catch(() => {});
    return await fail(`could not start: ${(e as Error).message}`);
  } finally {
    // The job is over (or never started): a runner dying from here on leaves only the backup to put back.
    await journal.remove(stage.name);
  }
  tail?.stop();
  await Deno.remove(progressPath).catch(() => {});
  // A run record is a convenience: failing to write one (e.g. a full disk) must not fail or lose the run.
  await finishRunRecord(runRecord, {
    stage: stage.name,
    key: decision.key!,
    started: startedAt.toISOString(),
    wall_seconds: result.ms / 1000,
    exit_code: result.code,
    ...(result.signal ? { signal: result.signal } : {}),
    ...(result.maxRssKb !== undefined ? { max_rss_kb: result.maxRssKb } : {}),
    host: Deno.hostname(),
    log: logPath.slice(project.root.length + 1),
  }).catch((e) =>
    ctx.onLine(`warning: could not write the run record ${runRecord.record}: ${(e as Error).message}`)
  );
  if (ctx.signal.aborted) return await fail("interrupted; previous outputs were put back");
  if (result.code !== 0) {
    const how = result.detail ??
      `command ${result.signal ? `was killed by ${result.signal}` : `exited with code ${result.code}`}`;
    return await fail(`${how}; previous outputs were put back`);
  }
  try {
    return await record(project, stage, decision, ctx, backup, started, logPath);
  } catch (e) {
    if (e instanceof PipelineError) return await fail(e.message);
    if (!isOsError(e)) throw e;
    // The command succeeded: keep its outputs, and say what the runner could not store.
    await backup.discard().catch(() => {});
    return {
      status: "failed",
      ms: performance.now() - started,
      logPath,
      error: `the command succeeded, but its result could not be recorded: ${(e as Error).message}. ` +
        `Its new outputs are kept in the workspace, unrecorded (the stage runs again next time); free disk ` +
        `space or fix permissions under ${project.dir} and ${project.root}/pipeline.lock, then run repro again`,
    };
  }
}

/** Hash, commit and record the outputs of a successful run; throws on an unwritten out or a storage error. */
async function record(
  project: Project,
  stage: StageSpec,
  decision: Decision,
  ctx: RunContext,
  backup: OutputBackup,
  started: number,
  logPath: string,
): Promise<StageOutcome> {
  const entry = await lockEntryFromWorkspace(project, stage, decision);
  const warnings = await depsChangedDuringRun(project, entry.deps);
  faultPoint("runcache");
  if (runCacheable(stage) && warnings.length === 0) await project.runs.save(entry);
  await ctx.recordLock(stage.name, entry);
  faultPoint("discard");
  await backup.discard();
  return { status: "ran", ms: performance.now() - started, logPath, warnings };
}

/**
 * The lock entry of `stage`'s outputs as they are in the workspace, under `decision`'s fingerprint, with every
 * cached out committed to the cache. Throws a {@link PipelineError} naming an out that is missing.
 *
 * @example
 * ```ts
 * const entry = await lockEntryFromWorkspace(project, stage, await decide(project, stage));
 * ```
 */
export async function lockEntryFromWorkspace(
  project: Project,
  stage: StageSpec,
  decision: Decision,
): Promise<LockEntry> {
  const fp = decision.fingerprint!;
  const outs: Record<string, Digested> = {};
  for (const out of stage.outs) {
    const node = await project.hasher.node(out.path);
    if (!node) {
      throw new PipelineError(
        `finished but did not write its declared out '${out.path}'; fix the command or the 'outs' in ` +
          `pipeline.yaml (${stage.where})`,
      );
    }
    if (out.cache || out.kind !== "outs") await project.objects.commit(project.root, out.path, node);
    outs[out.path] = node.type === "dir"
      ? { digest: node.digest, size: node.size, nfiles: node.nfiles }
      : { digest: node.digest, size: node.size };
  }
  return {
    key: decision.key!,
    cmd: stage.cmd,
    ...(stage.wdir ? { wdir: stage.wdir } : {}),
    deps: fp.deps,
    params: fp.params,
    outs,
    ...(fp.env ? { env: fp.env } : {}),
  };
}

/** An error from the operating system (a full disk, a read-only or forbidden directory), not a bug. */
function isOsError(e: unknown): boolean {
  return e instanceof Error &&
    (Object.values(Deno.errors).some((kind) => e instanceof kind) || /\(os error \d+\)/.test(e.message));
}

async function depsChangedDuringRun(
  project: Project,
  deps: Readonly<Record<string, DepRecord>>,
): Promise<string[]> {
  const warnings: string[] = [];
  for (const [path, before] of Object.entries(deps)) {
    const now = before.files ? await project.hasher.glob(path) : await project.hasher.node(path);
    if (now?.digest !== before.digest) {
      warnings.push(`dep '${path}' changed while the stage ran; the stage will run again next time`);
    }
  }
  return warnings;
}

/**
 * A preview of the job that {@link carryOut} gives the executor for `stage` (its command, working directory
 * and the environment every stage shares), for {@link Executor.warm} before the stage's turn.
 */
export function jobPreview(project: Project, stage: StageSpec): JobPreview {
  return {
    stage: stage.name,
    cmd: stage.cmd,
    cwd: stageCwd(project, stage),
    env: sharedStageEnv(project, project.root),
    resources: {},
  };
}

/** The part of {@link stageEnv} every stage shares: the pipeline's `env` and the project root. */
function sharedStageEnv(project: Project, root: string): Record<string, string> {
  return { ...project.spec.env, PIPELINE_ROOT: root };
}

/** The directory a stage's command runs in: its `wdir` under the project root, or the root. */
function stageCwd(project: Project, stage: StageSpec): string {
  return stage.wdir ? `${project.root}/${stage.wdir}` : project.root;
}

/**
 * The environment the runner gives a stage's command (on top of its own): the pipeline's `env`, the project
 * root (`root`, for a run elsewhere such as `verify`'s scratch copy), the stage's name, key and declared params.
 */
export function stageEnv(
  project: Project,
  stage: StageSpec,
  decision: Decision,
  root: string = project.root,
): Record<string, string> {
  return {
    ...sharedStageEnv(project, root),
    PIPELINE_STAGE: stage.name,
    PIPELINE_STAGE_KEY: decision.key!,
    PIPELINE_PARAMS: JSON.stringify(encodeNonFinite(nestParams(decision.fingerprint!.params))),
  };
}

/** Declared params as one nested object: `{ "train.lr": 0.1 }` becomes `{ train: { lr: 0.1 } }`. */
export function nestParams(flat: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flat)) {
    const parts = key.split(".");
    let node = out;
    for (const part of parts.slice(0, -1)) {
      if (node[part] === null || typeof node[part] !== "object") node[part] = {};
      node = node[part] as Record<string, unknown>;
    }
    node[parts[parts.length - 1]] = value;
  }
  return out;
}
