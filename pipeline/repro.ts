/**
 * `repro`: bring the selected stages up to date, in dependency order, up to `jobs` at a time and within the
 * resource pool. Each stage is decided when its upstream has finished; failures stop new launches (or, with
 * `keepGoing`, only skip what depends on them).
 *
 * @module
 */
import { OutputBackup } from "./backup.ts";
import { PipelineError } from "./errors.ts";
import type { Executor } from "./executor.ts";
import { expectedSeconds, launchOrder } from "./launch_order.ts";
import { downstreamOf, selectStages } from "./graph.ts";
import { removeStaleLockTemps, writeLock } from "./lock.ts";
import { LockRecorder } from "./lock_recorder.ts";
import { decide, type Decision, forceRun, planAll } from "./plan.ts";
import type { Project } from "./project.ts";
import type { Reporter } from "./progress.ts";
import { endRunProcesses, runProcesses } from "./run_processes.ts";
import { RunningJournal, type RunningRecord } from "./running.ts";
import { carryOut, jobPreview, type StageOutcome } from "./stage_run.ts";

/** Options of one `repro`. */
export interface ReproOptions {
  /** Stage or group names; empty for all. */
  readonly targets: readonly string[];
  /** Print the plan and change nothing. */
  readonly dry: boolean;
  /** Run the selected stages even when up to date (upstream stages are still decided normally). */
  readonly force: boolean;
  /** Stages run at once. */
  readonly jobs: number;
  /** After a failure, keep running what does not depend on it. */
  readonly keepGoing: boolean;
  /** Resource pool overrides from the command line, e.g. `{ gpu: 2 }`. */
  readonly resources: Readonly<Record<string, number>>;
  /** Run every stage in the sandbox (pipeline/sandbox.ts), as if each had `sandbox: true`. */
  readonly sandbox?: boolean;
  /** Cancel the batch jobs a killed runner left running (journaled) instead of reattaching to them. */
  readonly cancelRunning?: boolean;
}

/** The result of each stage considered. */
export interface ReproReport {
  readonly ok: boolean;
  readonly decisions: ReadonlyMap<string, Decision>;
  readonly outcomes: ReadonlyMap<string, StageOutcome>;
  readonly skipped: readonly string[];
}

/**
 * Run `repro`.
 *
 * @example
 * ```ts
 * const report = await repro(project, { targets: [], dry: false, force: false, jobs: 2, keepGoing: false,
 *   resources: {} }, new LocalExecutor(), makeReporter(), signal);
 * ```
 */
export async function repro(
  project: Project,
  opts: ReproOptions,
  executor: Executor,
  reporter: Reporter,
  signal: AbortSignal,
): Promise<ReproReport> {
  const names = selectStages(project.graph, opts.targets);
  const forced = new Set(opts.force ? selectStages(project.graph, opts.targets, false) : []);
  if (opts.dry) {
    const plan = await planAll(project, names, forced);
    return { ok: true, decisions: new Map(plan.map((d) => [d.stage, d])), outcomes: new Map(), skipped: [] };
  }
  const resumable = await leftRunning(project, executor, opts.cancelRunning ?? false, reporter);
  await recoverInterrupted(project, reporter, new Set(resumable.keys()));
  await removeStaleLockTemps(project.root);
  reporter.begin(names.length);
  const pool = new ResourcePool(
    executor.schedulesResources ? {} : { ...project.spec.resources, ...opts.resources },
  );
  if (!executor.schedulesResources) {
    for (const name of names) pool.check(project.graph.stages.get(name)!);
  }

  // Stages that end together share one rewrite of the lock (lock_recorder.ts).
  const recorder = new LockRecorder(project.lock, (lock) => writeLock(project.root, lock));

  const decisions = new Map<string, Decision>();
  const outcomes = new Map<string, StageOutcome>();
  // Ready stages start longest remaining path first (launch_order.ts), not in file order.
  const pending = new Set(launchOrder(project.graph, names, await expectedSeconds(project.dir)));
  const skipped = new Set<string>();
  const running = new Map<string, Promise<void>>();
  let stopLaunching = false;
  let failed = false;
  let drained = false;

  // When the first stage runs, the executor may prepare for the rest (persistent: start and warm its hosts).
  // Not before: a run where everything is up to date starts nothing.
  let warmed = false;
  const warmFor = (name: string) => {
    if (warmed || !executor.warm || opts.sandbox) return;
    warmed = true;
    const stages = [name, ...pending].map((n) => project.graph.stages.get(n)!);
    executor.warm(
      stages.filter((s) => !s.sandbox && Object.keys(s.resources).length === 0).map((s) =>
        jobPreview(project, s)
      ),
    );
  };

  const ready = (name: string) =>
    (project.graph.upstream.get(name) ?? []).every((u) => !pending.has(u) && !running.has(u));

  const launch = (name: string) => {
    const stage = project.graph.stages.get(name)!;
    const slots = executor.schedulesResources ? {} : pool.take(stage);
    const task = (async () => {
      let decision: Decision;
      try {
        decision = await decide(project, stage);
      } catch (e) {
        if (!(e instanceof PipelineError)) throw e;
        outcomes.set(name, { status: "failed", ms: 0, error: e.message });
        reporter.finish(name, false, e.message);
        return onFailure(name);
      }
      if (forced.has(name)) decision = forceRun(decision);
      const resume = resumable.get(name);
      if (resume) {
        if (resume.key !== decision.key) {
          const error = `its ${resume.executor} job from a killed runner is still going, but for other ` +
            `inputs (stage key ${resume.key.slice(0, 12)}, now ${
              decision.key?.slice(0, 12) ?? "unknown"
            }): ` +
            `its result cannot be recorded; rerun with --cancel-running to cancel it`;
          outcomes.set(name, { status: "failed", ms: 0, error });
          reporter.finish(name, false, error);
          return onFailure(name);
        }
        decision = {
          ...decision,
          action: "run",
          reasons: ["reattaching to the job started by a killed runner"],
        };
      }
      decisions.set(name, decision);
      if (decision.action === "up-to-date" || decision.action === "frozen") return reporter.settle(name);
      const action = decision.action === "restore" ? "restore" : "run";
      if (action === "run") warmFor(name);
      reporter.start(
        name,
        action,
        `${action === "restore" ? "restoring" : "running"} (${decision.reasons.join("; ")})`,
      );
      const outcome = await carryOut(project, stage, decision, {
        executor,
        signal,
        slots,
        onLine: (line) => reporter.line(name, line),
        onProgress: (update) => reporter.progress(name, update),
        onStatus: (status) => reporter.status?.(name, status),
        recordLock: (stageName, entry) => recorder.record(stageName, entry),
        sandbox: opts.sandbox,
        resume,
      });
      outcomes.set(name, outcome);
      for (const w of outcome.warnings ?? []) reporter.info(`warning: ${name}: ${w}`);
      const secs = (outcome.ms / 1000).toFixed(1);
      if (outcome.status === "failed") {
        reporter.finish(name, false, `${outcome.error} (${secs}s)`);
        if (outcome.logPath) reporter.info(logTail(outcome.logPath, name));
        return onFailure(name);
      }
      reporter.finish(name, true, `${outcome.status} in ${secs}s`);
    })().finally(() => {
      pool.give(slots);
      running.delete(name);
    });
    running.set(name, task);
  };

  const onFailure = (name: string) => {
    failed = true;
    if (!opts.keepGoing) stopLaunching = true;
    for (const d of downstreamOf(project.graph, name)) {
      if (pending.delete(d)) {
        skipped.add(d);
        reporter.settle(d);
      }
    }
  };

  while (pending.size > 0 || running.size > 0) {
    if (signal.aborted) stopLaunching = true;
    if (!stopLaunching) {
      let launched = 0;
      for (const name of [...pending]) {
        if (running.size >= opts.jobs) break;
        if (!ready(name)) continue;
        if (!executor.schedulesResources && !pool.fits(project.graph.stages.get(name)!)) continue;
        pending.delete(name);
        launch(name);
        launched++;
      }
      // Every stage has started: what no stage will use can end while these run.
      if (pending.size === 0 && !drained) {
        drained = true;
        executor.drain?.(launched);
      }
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  await recorder.settled(); // a failed rewrite is already reported as the failure of the stages it held
  for (const name of pending) skipped.add(name);
  return { ok: !failed && !signal.aborted, decisions, outcomes, skipped: [...skipped] };
}

/**
 * Put back what runners that died mid-stage left: first end any process of such a run still alive (a dead
 * runner's stage must not keep writing into the new run's outputs), then restore its journaled backup.
 */
async function recoverInterrupted(
  project: Project,
  reporter: Reporter,
  reattaching: ReadonlySet<string>,
): Promise<void> {
  for (const backup of await OutputBackup.leftBehind(project.root, `${project.dir}/tmp`)) {
    const { stage, running } = backup.journal;
    if (reattaching.has(stage)) continue; // its batch job still runs: the run reattaches to it
    if (running) {
      const pids = runProcesses(running.runId);
      if (pids.length > 0) {
        const group = running.pgid ? `process group ${running.pgid}, ` : "";
        reporter.info(
          `stage '${stage}' of an interrupted run is still running (${group}pids ${pids.join(" ")}); ` +
            `ending it before putting its previous outputs back`,
        );
        const left = await endRunProcesses(running.runId);
        if (left.length > 0) {
          throw new PipelineError(
            `stage '${stage}' of an interrupted run could not be ended (pids ${left.join(" ")} survive ` +
              `SIGKILL); nothing was recovered or run. End them (e.g. 'kill -9 ${left.join(" ")}'), then ` +
              `run repro again`,
          );
        }
      }
    }
    await backup.restore();
    reporter.info(`a previous run of '${stage}' was interrupted; its previous outputs were put back`);
  }
}

/**
 * The batch jobs a killed runner left (journaled in `.pipeline/running/`): with `cancel`, cancel them all (their
 * outputs are then put back like any interrupted run's); otherwise the records to reattach to, by stage. Jobs
 * of another executor than this run's cannot be followed: that is an error saying what to pass.
 */
async function leftRunning(
  project: Project,
  executor: Executor,
  cancel: boolean,
  reporter: Reporter,
): Promise<Map<string, RunningRecord>> {
  const journal = new RunningJournal(project.dir);
  const records = await journal.list((path, why) =>
    reporter.info(`warning: unreadable journal record ${path} (${why}); delete it once no job of it runs`)
  );
  const out = new Map<string, RunningRecord>();
  for (const r of records.filter((r) => r.slurm !== undefined)) {
    if (r.executor !== executor.name || !executor.cancel) {
      throw new PipelineError(
        `stage '${r.stage}' has a ${r.executor} job left running by a killed runner (journal: ` +
          `${project.dir}/running/); rerun with --executor ${r.executor} to reattach to it, or with ` +
          `--executor ${r.executor} --cancel-running to cancel it`,
      );
    }
    if (cancel) {
      await executor.cancel(r[r.executor] as Record<string, unknown>);
      await journal.remove(r.stage);
      reporter.info(`cancelled the ${r.executor} job of '${r.stage}' left running by a killed runner`);
    } else {
      out.set(r.stage, r);
    }
  }
  return out;
}

function logTail(path: string, stage: string, lines = 20): string {
  try {
    const all = Deno.readTextFileSync(path).trimEnd().split("\n");
    return `--- last ${Math.min(lines, all.length)} lines of ${stage}'s log (${path}) ---\n` +
      all.slice(-lines).join("\n");
  } catch {
    return `(no log at ${path})`;
  }
}

/** Named resources with numbered slots (e.g. gpu 0 and 1); stages take whole units. */
class ResourcePool {
  #free = new Map<string, number[]>();
  #size: Readonly<Record<string, number>>;

  constructor(size: Readonly<Record<string, number>>) {
    this.#size = size;
    for (const [name, n] of Object.entries(size)) {
      this.#free.set(
        name,
        Array.from({ length: n }, (_, i) => i),
      );
    }
  }

  check(stage: { name: string; resources: Readonly<Record<string, number>> }) {
    for (const [name, n] of Object.entries(stage.resources)) {
      if (n > (this.#size[name] ?? 0)) {
        throw new PipelineError(
          `stage '${stage.name}' needs ${name}=${n} but the pool has ${name}=${this.#size[name] ?? 0}; ` +
            `declare 'resources: {${name}: N}' at the top of pipeline.yaml or pass --resources ${name}=N`,
        );
      }
    }
  }

  fits(stage: { resources: Readonly<Record<string, number>> }): boolean {
    return Object.entries(stage.resources).every(([name, n]) => (this.#free.get(name)?.length ?? 0) >= n);
  }

  take(stage: { resources: Readonly<Record<string, number>> }): Record<string, number[]> {
    return Object.fromEntries(
      Object.entries(stage.resources).map((
        [name, n],
      ) => [name, this.#free.get(name)!.splice(0, Math.ceil(n))]),
    );
  }

  give(slots: Record<string, number[]>) {
    for (const [name, ids] of Object.entries(slots)) this.#free.get(name)!.push(...ids);
  }
}
