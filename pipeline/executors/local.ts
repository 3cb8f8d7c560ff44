/**
 * The local executor: each command runs as `bash -c` in its own process group (through `setsid`), so an
 * interrupt stops the command and everything it started; a watchdog (group_watchdog.ts) ends the group if the
 * runner itself dies.
 *
 * @module
 */
import type { Executor, Job, JobResult } from "../executor.ts";
import { RssSampler } from "../rss.ts";
import { guardProcessGroup } from "./group_watchdog.ts";

/**
 * Runs jobs as local processes.
 *
 * @example
 * ```ts
 * const result = await new LocalExecutor().run(job);
 * if (result.code !== 0) console.error("failed");
 * ```
 */
export class LocalExecutor implements Executor {
  /** The executor's name. */
  readonly name = "local";
  /** Run each command of the job in turn. */
  async run(job: Job): Promise<JobResult> {
    const started = performance.now();
    let maxRssKb: number | undefined; // the largest over the job's commands
    const memory = () => (maxRssKb === undefined ? {} : { maxRssKb });
    using log = await Deno.open(job.logPath, { write: true, create: true, truncate: true });
    for (const cmd of job.cmd) {
      await writeAll(log, new TextEncoder().encode(`$ ${cmd}\n`));
      job.onLine(`$ ${cmd}`);
      const child = new Deno.Command("setsid", {
        args: [...(job.wrapper ?? []), "bash", "--noprofile", "--norc", "-o", "pipefail", "-c", cmd],
        cwd: job.cwd,
        env: { ...job.env, ...slotEnv(job.resources) },
        clearEnv: job.clearEnv ?? false,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const watchdog = guardProcessGroup(child.pid);
      await job.onSpawned?.({ executor: "local", pid: child.pid, pgid: child.pid });
      const rss = new RssSampler(child.pid);
      const stop = () => {
        try {
          Deno.kill(-child.pid, "SIGTERM");
        } catch { /* already gone */ }
        setTimeout(() => {
          try {
            Deno.kill(-child.pid, "SIGKILL");
          } catch { /* already gone */ }
        }, 3000);
      };
      if (job.signal.aborted) stop();
      job.signal.addEventListener("abort", stop);
      const [status] = await Promise.all([
        child.status,
        pump(child.stdout, log, job.onLine),
        pump(child.stderr, log, job.onLine),
      ]);
      job.signal.removeEventListener("abort", stop);
      const kb = rss.stop();
      if (kb !== undefined) maxRssKb = Math.max(maxRssKb ?? 0, kb);
      await watchdog.release();
      if (!status.success) {
        const code = status.signal ? 128 + signalNumber(status.signal) : status.code;
        return { code, signal: status.signal ?? undefined, ms: performance.now() - started, ...memory() };
      }
      if (job.signal.aborted) {
        return { code: 130, signal: "SIGINT", ms: performance.now() - started, ...memory() };
      }
    }
    return { code: 0, ms: performance.now() - started, ...memory() };
  }
}

/**
 * The variables a job's resource slots give its commands: `PIPELINE_<NAME>_SLOTS` with the slot indices, and
 * `CUDA_VISIBLE_DEVICES` for `gpu`.
 */
export function slotEnv(resources: Job["resources"]): Record<string, string> {
  const env: Record<string, string> = Object.fromEntries(
    Object.entries(resources).map(([name, ids]) => [`PIPELINE_${name.toUpperCase()}_SLOTS`, ids.join(",")]),
  );
  if (resources.gpu) env.CUDA_VISIBLE_DEVICES = resources.gpu.join(",");
  return env;
}

async function pump(stream: ReadableStream<Uint8Array>, log: Deno.FsFile, onLine: (line: string) => void) {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of stream) {
    await writeAll(log, chunk);
    pending += decoder.decode(chunk, { stream: true });
    const lines = pending.split(/\r?\n|\r/);
    pending = lines.pop()!;
    for (const line of lines) if (line.trim()) onLine(line);
  }
  if (pending.trim()) onLine(pending);
}

/** Writes all of `bytes` to `file`. */
export async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let n = 0;
  while (n < bytes.length) n += await file.write(bytes.subarray(n));
}

/** The number of a termination signal, for the shell's 128 + n exit status. */
export function signalNumber(signal: Deno.Signal): number {
  return { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 }[signal as string] ?? 0;
}
