/**
 * The persistent executor (`repro --executor persistent`): local, as executors/local.ts, but a stage whose
 * command is `deno run -A <module> <args>` runs in a long-lived stage host (stage_host.ts) that runs such
 * commands in-process, one at a time, as Bazel's persistent workers do. The stages of one run share at most
 * `--jobs` hosts, so process start-up, module compilation and a module's per-process set-up (a GPU device and
 * its compiled shaders) are paid once per host instead of once per stage.
 *
 * What runs in a host and what does not:
 * - a command with anything else (another program, other Deno flags, shell syntax, several commands), a job
 *   in the sandbox, and a module that exports no `main` run as processes through the local executor;
 * - hosts are shared only by jobs of the same working directory and environment, apart from the variables the
 *   runner sets per stage ({@link PER_STAGE_ENV}), which each request sets;
 * - a stage that ends its host (`Deno.exit`, a crash) fails with the host's exit status unless that is 0,
 *   and the next job gets a new host; an interrupt ends the host.
 *
 * Hosts end with the run ({@link PersistentExecutor.close}), when their input closes, or through the same
 * watchdog as local stages if the runner dies; once the runner has started every stage
 * ({@link PersistentExecutor.drain}), idle hosts end at once and busy ones after their stage, while the last
 * stages run.
 *
 * {@link PersistentExecutor.warm} starts the hosts before their first stage: as the runner's first stage
 * starts, every host the run may use is started and imports the modules of the stages to come, calling each
 * one's `warm()` if it exports one (stage_host.ts), so that hosts are ready when those stages' turn comes. A
 * stage sent to a host that is still warming waits for the warm step under way only; the host's other warm
 * steps are dropped.
 *
 * @example
 * ```ts
 * const executor = new PersistentExecutor(8);
 * try {
 *   await executor.run(job);
 * } finally {
 *   await executor.close();
 * }
 * ```
 *
 * @module
 */
import { isAbsolute, join } from "node:path";
import type { Executor, Job, JobPreview, JobResult } from "../executor.ts";
import { RssSampler } from "../rss.ts";
import { INELIGIBLE, type StageHostRequest } from "../stage_host.ts";
import { type GroupWatchdog, guardProcessGroup } from "./group_watchdog.ts";
import { LocalExecutor, signalNumber, slotEnv, writeAll } from "./local.ts";

/**
 * Variables the runner sets per stage (stage_run.ts): a request sets them; the rest must match to share a
 * host. A host is started with its first job's `PIPELINE_RUN_ID`, which it keeps in its environment: the id by
 * which a later runner finds its processes after a crash (run_processes.ts), reported with each job's
 * `onSpawned`.
 */
export const PER_STAGE_ENV = [
  "PIPELINE_RUN_ID",
  "PIPELINE_STAGE",
  "PIPELINE_STAGE_KEY",
  "PIPELINE_PARAMS",
  "PIPELINE_RUN_RECORD",
  "PIPELINE_PROGRESS",
  "PIPELINE_SCRATCH",
] as const;

/** A command a host can run: `deno run -A <module> <args>`, each word free of shell syntax. */
export interface DenoRunCommand {
  readonly module: string;
  readonly argv: readonly string[];
}

const PLAIN_WORD = /^[A-Za-z0-9_.\/=:,+@%^-]+$/;

/**
 * The module and arguments of `cmd` when it is exactly `deno run -A|--allow-all <module> [args]` with plain
 * words (no quotes, variables, globs or redirections), the module a `.ts`/`.js` file relative to `cwd` or
 * absolute; otherwise null (the command runs as a process).
 *
 * @example
 * ```ts
 * parseDenoRun("deno run -A stages/train.ts --alpha -0.3 --seed 1", "/proj");
 * // { module: "/proj/stages/train.ts", argv: ["--alpha", "-0.3", "--seed", "1"] }
 * ```
 */
export function parseDenoRun(cmd: string, cwd: string): DenoRunCommand | null {
  const words = cmd.trim().split(/ +/);
  if (!words.every((w) => PLAIN_WORD.test(w))) return null;
  const [deno, run, flag, module, ...argv] = words;
  if (deno !== "deno" || run !== "run" || (flag !== "-A" && flag !== "--allow-all")) return null;
  if (!module || !/\.(ts|js|mjs)$/.test(module)) return null;
  return { module: isAbsolute(module) ? module : join(cwd, module), argv };
}

/** One stage host process and the job it is running, if any. */
class StageHost {
  readonly #child: Deno.ChildProcess;
  readonly #watchdog: GroupWatchdog;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #marker = `\u001epipeline-stage-host-${crypto.randomUUID()}`;
  /** The running job's sink: where lines go and how the end is signalled. */
  #sink:
    | { log: Deno.FsFile | null; onLine: (line: string) => void; ended: Set<string>; done: () => void }
    | null = null;
  /** The last request sent: the next one is written after it has ended, so each has the streams to itself. */
  #last: Promise<unknown> = Promise.resolve();
  /** Set when a stage is queued: warm requests not yet sent are then dropped, so the stage waits for at most one. */
  #preempted = false;
  #status: string | null = null;
  readonly exited: Promise<Deno.CommandStatus>;
  readonly pumps: Promise<void>;
  busy = false;
  /** Requests sent so far. */
  requests = 0;

  constructor(
    readonly key: string,
    cwd: string,
    env: Record<string, string>,
    /** The `PIPELINE_RUN_ID` in the host's environment (its first job's). */
    readonly runId: string | undefined,
  ) {
    const script = new URL("../stage_host.ts", import.meta.url).pathname;
    this.#child = new Deno.Command("setsid", {
      args: ["bash", "--noprofile", "--norc", "-c", 'exec deno run -A "$0" "$1"', script, this.#marker],
      cwd,
      env,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#watchdog = guardProcessGroup(this.#child.pid);
    this.#writer = this.#child.stdin.getWriter();
    this.exited = this.#child.status;
    this.pumps = Promise.all([this.#pump(this.#child.stdout, "out"), this.#pump(this.#child.stderr, "err")])
      .then(() => {});
    this.exited.finally(() => this.#watchdog.release());
  }

  /** The host's process id (also its process group and session). */
  get pid(): number {
    return this.#child.pid;
  }

  /**
   * Runs one request after those sent before it, copying the host's output to `log` (none: dropped) and
   * `onLine` until the end marker has come on both streams; resolves with the status word, or null when the
   * host ended first. A warm request whose turn comes after a stage was queued is not sent (status `skipped`).
   */
  request(
    request: StageHostRequest,
    log: Deno.FsFile | null,
    onLine: (line: string) => void,
  ): Promise<string | null> {
    if (!request.warm) this.#preempted = true;
    const result = this.#last.then(() =>
      request.warm && this.#preempted ? "skipped" : this.#send(request, log, onLine)
    );
    this.#last = result;
    return result;
  }

  async #send(
    request: StageHostRequest,
    log: Deno.FsFile | null,
    onLine: (line: string) => void,
  ): Promise<string | null> {
    const done = Promise.withResolvers<void>();
    this.#status = null;
    this.#sink = { log, onLine, ended: new Set(), done: done.resolve };
    try {
      await this.#writer.write(new TextEncoder().encode(JSON.stringify(request) + "\n"));
      await Promise.race([done.promise, this.exited]);
      if (this.#sink?.ended.size !== 2) await this.pumps; // the host ended: take the rest of its output
      return this.#sink?.ended.size === 2 ? this.#status : null;
    } catch {
      return null; // its input closed: the host is gone
    } finally {
      this.#sink = null;
    }
  }

  /** Ends the host: closes its input, then its process group after a grace period. */
  async stop(graceMs = 3000): Promise<Deno.CommandStatus> {
    await this.#writer.close().catch(() => {});
    const timer = setTimeout(() => this.kill("SIGKILL"), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends `signal` to the host's process group. */
  kill(signal: Deno.Signal): void {
    try {
      Deno.kill(-this.#child.pid, signal);
    } catch { /* already gone */ }
  }

  async #pump(stream: ReadableStream<Uint8Array>, name: string): Promise<void> {
    const decoder = new TextDecoder();
    let pending = "";
    const take = async (line: string, newline: boolean) => {
      const sink = this.#sink;
      if (!sink) return; // between jobs: nothing runs, so nothing to keep
      // The marker ends the request; output the stage left without a newline precedes it on its line.
      const at = line.indexOf(this.#marker + " ");
      const text = at >= 0 ? line.slice(0, at) : line;
      if (text || at < 0) {
        if (sink.log) {
          await writeAll(sink.log, new TextEncoder().encode(newline || at >= 0 ? text + "\n" : text));
        }
        if (text.trim()) sink.onLine(text.replace(/\r$/, ""));
      }
      if (at >= 0) {
        this.#status = line.slice(at + this.#marker.length + 1);
        sink.ended.add(name);
        if (sink.ended.size === 2) sink.done();
      }
    };
    for await (const chunk of stream) {
      pending += decoder.decode(chunk, { stream: true });
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) await take(line, true);
    }
    if (pending) await take(pending, false);
  }
}

/** Runs `deno run -A` stages in persistent hosts and everything else as the local executor does. */
export class PersistentExecutor implements Executor {
  /** The executor's name. */
  readonly name = "persistent";
  readonly #local = new LocalExecutor();
  readonly #hosts = new Set<StageHost>();
  /** Modules that export no `main`: their commands run as processes. */
  readonly #ineligible = new Set<string>();
  /** Set by {@link drain}: a host that becomes idle ends. */
  #draining = false;
  /** Hosts ending since {@link drain}: {@link close} waits for them. */
  readonly #ending: Promise<unknown>[] = [];

  /** `maxHosts`: hosts alive at once (the run's `--jobs`). */
  constructor(readonly maxHosts: number) {}

  /** Run the job in a host when its command allows, else as a local process. */
  async run(job: Job): Promise<JobResult> {
    const route = job.wrapper || job.clearEnv ? null : this.#route(job);
    if (!route) return await this.#local.run(job);
    const { command, key, shared, perStage } = route;
    const started = performance.now();
    const host = this.#acquire(key, job.cwd, shared, perStage.PIPELINE_RUN_ID);
    using log = await Deno.open(job.logPath, { write: true, create: true, truncate: true });
    const line = `$ ${job.cmd[0]}  # in stage host ${host.pid}, its request ${++host.requests}`;
    await writeAll(log, new TextEncoder().encode(`${line}\n`));
    job.onLine(line);
    await job.onSpawned?.({
      executor: "persistent",
      pid: host.pid,
      pgid: host.pid,
      ...(host.runId ? { runId: host.runId } : {}),
    });
    const rss = new RssSampler(host.pid);
    const abort = () => {
      host.kill("SIGTERM");
      setTimeout(() => host.kill("SIGKILL"), 3000);
    };
    if (job.signal.aborted) abort();
    job.signal.addEventListener("abort", abort);
    let status: string | null;
    try {
      status = await host.request(
        { module: command.module, argv: command.argv, cwd: job.cwd, env: perStage },
        log,
        job.onLine,
      );
    } finally {
      job.signal.removeEventListener("abort", abort);
    }
    const maxRssKb = rss.stop();
    const memory = maxRssKb === undefined ? {} : { maxRssKb };
    const ms = () => performance.now() - started;
    if (status === INELIGIBLE) {
      this.#ineligible.add(command.module);
      this.#release(host);
      return await this.#local.run(job);
    }
    if (status === null) {
      this.#hosts.delete(host);
      const exit = await host.exited;
      if (job.signal.aborted) return { code: 130, signal: "SIGINT", ms: ms(), ...memory };
      const code = exit.signal ? 128 + signalNumber(exit.signal) : exit.code;
      return {
        code,
        ...(exit.signal ? { signal: exit.signal } : {}),
        ms: ms(),
        ...memory,
        detail: `its stage host (pid ${host.pid}) ended during the stage with ${
          exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`
        }`,
      };
    }
    this.#release(host);
    return { code: Number(status), ms: ms(), ...memory };
  }

  /**
   * Ends idle hosts now, but `upcoming` for the jobs on their way, and the others as their jobs end (see
   * {@link Executor.drain}).
   */
  drain(upcoming: number): void {
    this.#draining = true;
    const idle = [...this.#hosts].filter((h) => !h.busy);
    for (const host of idle.slice(upcoming)) this.#end(host);
  }

  /**
   * Marks `host` idle after a job; while draining it ends instead (the jobs still to come are on their way and
   * have hosts kept for them).
   */
  #release(host: StageHost): void {
    host.busy = false;
    if (this.#draining) this.#end(host);
  }

  /** Takes `host` out of use and ends it in the background; {@link close} waits for it. */
  #end(host: StageHost): void {
    this.#hosts.delete(host);
    this.#ending.push(host.stop().then(() => host.pumps).catch(() => {}));
  }

  /**
   * Starts the hosts the run may use (up to `maxHosts` and no more than the jobs, for the environment most of
   * `jobs` share) and has each import the modules of `jobs` that run in hosts, in the order given, calling
   * their `warm()` (see the module doc). Returns at once.
   */
  warm(jobs: readonly JobPreview[]): void {
    const groups = new Map<
      string,
      { cwd: string; shared: Record<string, string>; modules: string[]; jobs: number }
    >();
    for (const job of jobs) {
      const route = this.#route(job);
      if (!route) continue;
      const group = groups.get(route.key) ?? { cwd: job.cwd, shared: route.shared, modules: [], jobs: 0 };
      if (!group.modules.includes(route.command.module)) group.modules.push(route.command.module);
      group.jobs++;
      groups.set(route.key, group);
    }
    const [key, group] = [...groups.entries()].sort((a, b) => b[1].jobs - a[1].jobs)[0] ?? [];
    if (!key || !group) return;
    // No more hosts than the jobs could use at once.
    const hosts = Math.min(this.maxHosts, this.#hosts.size + group.jobs);
    while (this.#hosts.size < hosts) {
      // A run id of its own, as a job's would be: how a later runner finds the host if this one is killed.
      const host = this.#start(key, group.cwd, group.shared, crypto.randomUUID());
      for (const module of group.modules) {
        host.request({ module, argv: [], cwd: group.cwd, env: {}, warm: true }, null, () => {});
      }
    }
  }

  /** Ends every host (they also end on their own when the runner exits). */
  async close(): Promise<void> {
    const hosts = [...this.#hosts];
    this.#hosts.clear();
    await Promise.all([
      ...this.#ending,
      ...hosts.map(async (h) => {
        await h.stop();
        await h.pumps;
      }),
    ]);
  }

  /**
   * Where a job runs: in a host when its command is `deno run -A <module> …` of a module known to export
   * `main`, with the host's key (working directory and shared environment) and the per-stage variables; else
   * null (a process).
   */
  #route(job: JobPreview) {
    const command = job.cmd.length === 1 ? parseDenoRun(job.cmd[0], job.cwd) : null;
    if (!command || this.#ineligible.has(command.module)) return null;
    const perStage: Record<string, string> = {};
    const shared: Record<string, string> = { ...job.env, ...slotEnv(job.resources) };
    for (const key of PER_STAGE_ENV) {
      if (key in shared) {
        perStage[key] = shared[key];
        delete shared[key];
      }
    }
    const key = JSON.stringify([job.cwd, Object.entries(shared).sort(([a], [b]) => a.localeCompare(b))]);
    return { command, key, shared, perStage };
  }

  /** An idle host of `key`, else a new one (ending an idle host of another key when at the limit). */
  #acquire(key: string, cwd: string, env: Record<string, string>, runId: string | undefined): StageHost {
    const idle = [...this.#hosts].filter((h) => !h.busy);
    let host = idle.find((h) => h.key === key);
    if (!host) {
      if (this.#hosts.size >= this.maxHosts && idle.length > 0) {
        this.#hosts.delete(idle[0]);
        idle[0].stop().catch(() => {});
      }
      host = this.#start(key, cwd, env, runId);
    }
    host.busy = true;
    return host;
  }

  /** A new host of `key`, with `runId` in its environment when given. */
  #start(key: string, cwd: string, env: Record<string, string>, runId: string | undefined): StageHost {
    const host = new StageHost(key, cwd, runId ? { ...env, PIPELINE_RUN_ID: runId } : env, runId);
    this.#hosts.add(host);
    host.exited.then(() => this.#hosts.delete(host));
    return host;
  }
}
