/**
 * `repro [STAGE...]`: bring stages up to date (`--dry` prints the plan instead).
 *
 * @module
 */
import { type Command, Option } from "commander";
import { PipelineError } from "../errors.ts";
import { chooseExecutor } from "../executor_choice.ts";
import { makeReporter } from "../progress.ts";
import { acquireReproLock } from "../project_lock.ts";
import { repro } from "../repro.ts";
import { readSummaries, renderSummaries } from "../summary.ts";
import { remoteSource } from "../remote_sync.ts";
import { type CliContext, collect, requirePipelineFile, rootOf, withProject } from "./context.ts";
import { progress, remoteOption } from "./remote.ts";

/** Options of `repro` as commander parses them. */
export interface ReproCliOptions {
  dry?: boolean;
  force?: boolean;
  jobs?: number;
  keepGoing?: boolean;
  set?: string[];
  resources?: string[];
  sandbox?: boolean;
  executor?: string;
  slurm?: string[];
  retries?: string;
  cancelRunning?: boolean;
  pull?: boolean;
  remote?: string;
}

/** Parse `--jobs`: a whole number ≥ 1. */
export function parseJobs(value: string): number {
  const jobs = Number(value);
  if (!Number.isInteger(jobs) || jobs < 1) {
    throw new PipelineError(`--jobs '${value}': expected a whole number ≥ 1`);
  }
  return jobs;
}

/** Parse `--resources name=N` items into a pool override. */
export function parseResources(items: readonly string[]): Record<string, number> {
  return Object.fromEntries(items.map((item) => {
    const m = item.match(/^([A-Za-z_][\w-]*)=(\d+(?:\.\d+)?)$/);
    if (!m) throw new PipelineError(`--resources '${item}': expected name=N, e.g. --resources gpu=2`);
    return [m[1], Number(m[2])];
  }));
}

/** `--set key=value`, shared by every command that plans with params. */
export function setOption(): Option {
  return new Option("-S, --set <key=value>", "override a param of params.yaml for this run (repeatable)")
    .argParser(collect);
}

/** Add `repro` to `program`. */
export function register(program: Command, ctx: CliContext): void {
  program.command("repro")
    .description("bring stages (and what they depend on) up to date")
    .argument("[stage...]", "stage or group names (default: all)")
    .option("--dry", "print what would run and why; change nothing")
    .option("-f, --force", "run the selected stages even when up to date")
    .addOption(
      new Option(
        "-j, --jobs <n>",
        "stages run at once (default: cores; with --executor slurm, jobs in flight: slurm.max_jobs or 256)",
      ).argParser(parseJobs),
    )
    .option("-k, --keep-going", "after a failure, keep running what does not depend on it")
    .addOption(setOption())
    .addOption(
      new Option("--resources <name=N>", "resource pool size, e.g. gpu=2 (repeatable)").argParser(collect),
    )
    .option("--sandbox", "run every stage in the bwrap sandbox, as if each had 'sandbox: true'")
    .option(
      "--executor <name>",
      "local, persistent (deno stages in long-lived hosts) or slurm (default: `executor:` of " +
        "pipeline.config.yaml, else local)",
    )
    .addOption(
      new Option("--slurm <key=value>", "a Slurm setting for this run, e.g. partition=gpu (repeatable)")
        .argParser(collect),
    )
    .option("--retries <n>", "resubmit Slurm jobs that failed for a node-level reason (NODE_FAIL, PREEMPTED)")
    .option("--cancel-running", "cancel the Slurm jobs a killed runner left running instead of reattaching")
    .option("--pull", "restore results the remote's run-cache holds instead of running (see --remote)")
    .addOption(remoteOption())
    .action(
      ctx.act((targets: string[], opts: ReproCliOptions, cmd: Command) =>
        runRepro(rootOf(cmd), targets, opts)
      ),
    );
}

async function runRepro(root: string, targets: string[], opts: ReproCliOptions): Promise<number> {
  const t0 = performance.now();
  const resources = parseResources(opts.resources ?? []);
  const { executor, jobs } = await chooseExecutor(root, opts);
  requirePipelineFile(root);
  const reporter = makeReporter();
  using _lock = opts.dry ? undefined : await acquireReproLock(`${root}/.pipeline`, (m) => reporter.info(m));
  return await withProject(root, opts.set ?? [], async (project) => {
    const remote = opts.pull
      ? await remoteSource(project, { targets: [], remote: opts.remote, jobs: 8, runCache: true, progress })
      : undefined;
    project.remoteSource = remote?.source;
    const controller = new AbortController();
    const onSignal = () => {
      if (!controller.signal.aborted) {
        reporter.info("interrupted: stopping running stages and putting outputs back…");
      }
      controller.abort();
    };
    const signals: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"]; // SIGHUP: a closed terminal or ssh session
    for (const s of signals) Deno.addSignalListener(s, onSignal);
    try {
      const report = await repro(
        project,
        {
          targets,
          dry: opts.dry ?? false,
          force: opts.force ?? false,
          jobs,
          keepGoing: opts.keepGoing ?? false,
          resources,
          sandbox: opts.sandbox ?? false,
          cancelRunning: opts.cancelRunning ?? false,
        },
        executor,
        reporter,
        controller.signal,
      );
      reporter.close();
      if (opts.dry) {
        for (const d of report.decisions.values()) {
          console.log(
            `${d.action.padEnd(10)} ${d.stage}${d.reasons.length ? `  (${d.reasons.join("; ")})` : ""}`,
          );
        }
        return 0;
      }
      const counts = { ran: 0, restored: 0, failed: 0 };
      for (const o of report.outcomes.values()) counts[o.status]++;
      const upToDate = [...report.decisions.values()].filter((d) => d.action === "up-to-date").length;
      const secs = ((performance.now() - t0) / 1000).toFixed(2);
      if (counts.ran + counts.restored + counts.failed === 0 && report.skipped.length === 0) {
        console.log(`Everything is up to date (${upToDate} stages checked in ${secs}s).`);
      } else {
        const parts = [`${counts.ran} ran`, `${counts.restored} restored`, `${upToDate} up to date`];
        if (counts.failed) parts.push(`${counts.failed} failed`);
        if (report.skipped.length) {
          parts.push(`${report.skipped.length} not run (${report.skipped.join(", ")})`);
        }
        console.log(`${parts.join(", ")} in ${secs}s.`);
      }
      const settled = [...report.decisions.keys()].filter((n) => report.outcomes.get(n)?.status !== "failed");
      const summaries = await readSummaries(project, settled);
      if (summaries.length) console.log(`\n${renderSummaries(summaries)}`);
      if (controller.signal.aborted) return 130;
      return report.ok ? 0 : 1;
    } finally {
      await executor.close?.();
      await remote?.remote.close();
      reporter.close();
      for (const s of signals) Deno.removeSignalListener(s, onSignal);
    }
  });
}
