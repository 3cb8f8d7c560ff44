/**
 * `push`, `fetch` and `pull`: move results between the cache and a remote (logic in `pipeline/remote_sync.ts`).
 *
 * @module
 */
import { type Command, Option } from "commander";
import { acquireReproLock } from "../project_lock.ts";
import { fetch, pull, push, summarize } from "../remote_sync.ts";
import { progressWriter, TransferProgress, type TransferReport } from "../transfer.ts";
import { type CliContext, requirePipelineFile, rootOf, withProject } from "./context.ts";
import { parseJobs, setOption } from "./repro.ts";

/** Options of `push`, `fetch` and `pull` as commander parses them. */
export interface RemoteCliOptions {
  remote?: string;
  jobs?: number;
  runCache?: boolean;
  force?: boolean;
  set?: string[];
  withDeps?: boolean;
}

/** A progress line on stderr: objects, MiB, MiB/s. */
export function progress(verb: string): TransferProgress {
  return new TransferProgress(verb, progressWriter());
}

/** `--remote NAME|URL`, shared with `repro --pull` and `status --remote`. */
export function remoteOption(): Option {
  return new Option(
    "-r, --remote <name|url>",
    "a remote declared in pipeline.config.yaml, or a URL (default: the default remote)",
  );
}

/** Add `push`, `fetch` and `pull` to `program`. */
export function register(program: Command, ctx: CliContext): void {
  for (const name of ["push", "fetch", "pull"] as const) {
    const cmd = program.command(name)
      .description(
        name === "push"
          ? "upload the stages' outputs the remote lacks"
          : name === "fetch"
          ? "download the stages' outputs the cache lacks"
          : "fetch, then check the outputs out into the workspace",
      )
      .argument("[stage...]", "stage or group names (default: all in pipeline.lock)")
      .addOption(remoteOption())
      // A matrix's members depend on the params: name the same --set as the repro whose results move.
      .addOption(setOption())
      .option("--with-deps", "also the stages upstream of the named ones")
      .addOption(new Option("-j, --jobs <n>", "transfers at once (default 8)").argParser(parseJobs))
      .option(
        "--run-cache",
        name === "push" ? "also push the run-cache" : "also fetch the remote's run-cache",
      );
    if (name === "pull") {
      cmd.option("-f, --force", "overwrite outputs modified in the workspace and not cached");
    }
    cmd.action(
      ctx.act((targets: string[], opts: RemoteCliOptions, c: Command) =>
        runSync(rootOf(c), name, targets, opts)
      ),
    );
  }
}

async function runSync(
  root: string,
  command: "push" | "fetch" | "pull",
  targets: string[],
  o: RemoteCliOptions,
): Promise<number> {
  requirePipelineFile(root);
  using _lock = command === "pull"
    ? await acquireReproLock(`${root}/.pipeline`, (m) => console.error(m))
    : undefined;
  return await withProject(root, o.set ?? [], async (project) => {
    const opts = {
      targets,
      withDeps: o.withDeps ?? false,
      remote: o.remote,
      jobs: o.jobs ?? 8,
      runCache: o.runCache ?? false,
      progress,
    };
    if (command === "pull") {
      const report = await pull(project, opts, o.force ?? false);
      const problem = printTransfer("fetched", report, "the remote");
      console.log(`checked out ${report.checkedOut.length} outputs`);
      for (const k of report.kept) console.error(`  ${k}`);
      return problem || report.kept.length ? 1 : 0;
    }
    if (command === "push") {
      const report = await push(project, opts);
      if (opts.runCache) console.log(`pushed ${report.runs} run-cache entries`);
      const failed = printTransfer("pushed", report, "the local cache");
      if (report.unmade.length) console.error(unmadeAdvice(report.unmade));
      return failed ? 1 : 0;
    }
    return printTransfer("fetched", await fetch(project, opts), "the remote") ? 1 : 0;
  });
}

/** Which stages the missing objects belong to, and what to do about them. */
function unmadeAdvice(stages: readonly string[]): string {
  const shown = stages.slice(0, 5).join(", ") + (stages.length > 5 ? `, … (${stages.length - 5} more)` : "");
  return `  they are the locked outputs of ${stages.length} stage(s) this cache does not hold: ${shown}. ` +
    `Run them ('repro') or 'fetch' them first; everything else selected was pushed.`;
}

function printTransfer(verb: string, report: TransferReport, source: string): boolean {
  const { line, problem } = summarize(verb, report, source);
  console.log(line);
  if (problem) console.error(`error: ${problem}`);
  return problem !== undefined;
}
