/**
 * The runner's command line.
 *
 * ```
 * deno run -A pipeline/cli.ts [-C DIR] <command> [options]
 *   repro [STAGE...] [--dry] [--force] [--jobs N] [--keep-going] [--set key=value]... [--resources name=N]...
 *   status [STAGE...] [--json] [--set key=value]...
 *   dag [--mermaid | --dot]
 *   params diff [REV] [--all] [--md | --json]
 *   metrics show [--md | --json]
 *   metrics diff [REV] [--all] [--md | --json]
 *   gc [--dry] [--keep-run-cache]
 *   push|fetch|pull [STAGE...] [--remote NAME|URL] [--jobs N] [--run-cache]   (pull: [--force])
 *   status --remote[=NAME|URL] [STAGE...]
 * ```
 *
 * @module
 */
import { resolve } from "node:path";
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { canonicalJson } from "./canonical.ts";
import { renderDag } from "./dag_render.ts";
import { PipelineError } from "./errors.ts";
import { LocalExecutor } from "./executors/local.ts";
import { gc } from "./gc.ts";
import { defaultBaseRev, gitShow, revExists } from "./git.ts";
import { selectStages } from "./graph.ts";
import { diffMetrics, revisionMetrics, workspaceMetrics } from "./metrics.ts";
import { leafKeys, lookup, PARAMS_FILE, parseOverrides } from "./params.ts";
import { planAll } from "./plan.ts";
import { closeProject, openProject, type Project } from "./project.ts";
import { makeReporter } from "./progress.ts";
import { acquireReproLock } from "./project_lock.ts";
import { repro } from "./repro.ts";
import {
  fetch as fetchFromRemote,
  pull,
  push,
  remoteSource,
  remoteStatus,
  summarize,
} from "./remote_sync.ts";
import { progressWriter, TransferProgress, type TransferReport } from "./transfer.ts";
import { PIPELINE_FILE } from "./spec.ts";
import { cell, renderTable } from "./table.ts";
import { parse as parseYamlText } from "yaml";

const USAGE = `usage: pipeline [-C DIR] <command> [options]
commands:
  repro [STAGE...]      bring stages up to date   --dry --force --jobs N (default: cores) --keep-going
                        --set k=v --resources name=N
  status [STAGE...]     what repro would do, and why   --json --set k=v
  dag                   the stage graph   --mermaid --dot
  params diff [REV]     params changed since REV (default HEAD; merge base in CI)   --all --md --json
  metrics show          the workspace's metrics   --md --json
  metrics diff [REV]    metrics changed since REV   --all --md --json
  gc                    drop unreferenced cache objects   --dry --keep-run-cache
  push [STAGE...]       upload outputs to a remote   --remote NAME|URL --jobs N --run-cache
  fetch [STAGE...]      download outputs into the cache   --remote NAME|URL --jobs N --run-cache
  pull [STAGE...]       fetch, then check out into the workspace   --remote --jobs --run-cache --force
  status --remote[=R]   which objects each side lacks
  repro --pull          restore from the remote's run-cache instead of running   --remote NAME|URL`;

/** Run the CLI with `args`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  let root = Deno.cwd();
  while (args[0] === "-C") {
    if (!args[1]) throw new PipelineError("-C needs a directory");
    root = resolve(root, args[1]);
    args = args.slice(2);
  }
  const [command, ...rest] = args;
  switch (command) {
    case "repro":
      return await cmdRepro(root, rest);
    case "status":
      return await cmdStatus(root, rest);
    case "dag":
      return await cmdDag(root, rest);
    case "params":
      return await cmdParams(root, rest);
    case "metrics":
      return await cmdMetrics(root, rest);
    case "gc":
      return await cmdGc(root, rest);
    case "push":
    case "fetch":
    case "pull":
      return await cmdSync(root, command, rest);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new PipelineError(`unknown command '${command}'\n${USAGE}`);
  }
}

function options<T extends ParseArgsOptionsConfig>(args: string[], opts: T) {
  try {
    return parseArgs({ args, options: opts, allowPositionals: true, strict: true });
  } catch (e) {
    throw new PipelineError(`${(e as Error).message}\n${USAGE}`);
  }
}

async function withProject<T>(root: string, sets: string[], fn: (p: Project) => Promise<T>): Promise<T> {
  const project = await openProject(root, parseOverrides(sets));
  try {
    return await fn(project);
  } finally {
    await closeProject(project);
  }
}

/** Fail early, before creating `.pipeline/`, when `root` has no pipeline file. */
function requirePipelineFile(root: string): void {
  try {
    Deno.statSync(`${root}/${PIPELINE_FILE}`);
  } catch {
    throw new PipelineError(`${PIPELINE_FILE} not found in ${root}: create it, or pass -C DIR`);
  }
}

function parseResources(items: string[]): Record<string, number> {
  return Object.fromEntries(items.map((item) => {
    const m = item.match(/^([A-Za-z_][\w-]*)=(\d+(?:\.\d+)?)$/);
    if (!m) throw new PipelineError(`--resources '${item}': expected name=N, e.g. --resources gpu=2`);
    return [m[1], Number(m[2])];
  }));
}

async function cmdRepro(root: string, args: string[]): Promise<number> {
  const { values, positionals } = options(args, {
    dry: { type: "boolean" },
    force: { type: "boolean", short: "f" },
    jobs: { type: "string", short: "j" },
    "keep-going": { type: "boolean", short: "k" },
    set: { type: "string", short: "S", multiple: true },
    resources: { type: "string", multiple: true },
    pull: { type: "boolean" },
    remote: { type: "string" },
  });
  const jobs = Number(values.jobs ?? (navigator.hardwareConcurrency || 1));
  if (!Number.isInteger(jobs) || jobs < 1) {
    throw new PipelineError(`--jobs '${values.jobs}': expected a whole number ≥ 1`);
  }
  const t0 = performance.now();
  requirePipelineFile(root);
  const reporter = makeReporter();
  using _lock = values.dry ? undefined : await acquireReproLock(`${root}/.pipeline`, (m) => reporter.info(m));
  return await withProject(root, values.set ?? [], async (project) => {
    const remote = values.pull
      ? await remoteSource(project, { targets: [], remote: values.remote, jobs: 8, runCache: true, progress })
      : undefined;
    project.remoteSource = remote?.source;
    const controller = new AbortController();
    const onSignal = () => {
      if (!controller.signal.aborted) {
        reporter.info("interrupted: stopping running stages and putting outputs back…");
      }
      controller.abort();
    };
    const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
    for (const s of signals) Deno.addSignalListener(s, onSignal);
    try {
      const report = await repro(
        project,
        {
          targets: positionals,
          dry: values.dry ?? false,
          force: values.force ?? false,
          jobs,
          keepGoing: values["keep-going"] ?? false,
          resources: parseResources(values.resources ?? []),
        },
        new LocalExecutor(),
        reporter,
        controller.signal,
      );
      reporter.close();
      if (values.dry) {
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
      if (controller.signal.aborted) return 130;
      return report.ok ? 0 : 1;
    } finally {
      reporter.close();
      await remote?.remote.close();
      for (const s of signals) Deno.removeSignalListener(s, onSignal);
    }
  });
}

async function cmdStatus(root: string, args: string[]): Promise<number> {
  const { values, positionals } = options(args.map((a) => a === "--remote" ? "--remote=" : a), {
    json: { type: "boolean" },
    set: { type: "string", short: "S", multiple: true },
    remote: { type: "string" },
  });
  if (values.remote !== undefined) {
    return await withProject(root, values.set ?? [], async (project) => {
      const rows = await remoteStatus(project, {
        targets: positionals,
        remote: values.remote || undefined,
        jobs: 8,
        runCache: false,
      });
      if (values.json) console.log(JSON.stringify(rows, null, 2));
      else {
        console.log(renderTable(
          ["Stage", "Objects", "Missing locally", "Missing on remote"],
          rows.map((r) =>
            [r.stage, `${r.objects}${r.unknown ? "+" : ""}`, r.missingLocally, r.missingOnRemote].map(cell)
          ),
        ));
      }
      return 0;
    });
  }
  return await withProject(root, values.set ?? [], async (project) => {
    const plan = await planAll(project, selectStages(project.graph, positionals));
    if (values.json) {
      console.log(
        JSON.stringify(
          plan.map((d) => ({ stage: d.stage, action: d.action, reasons: d.reasons, key: d.key })),
          null,
          2,
        ),
      );
      return 0;
    }
    const icon = { "up-to-date": "✓", restore: "↺", run: "▶", frozen: "❄" };
    for (const d of plan) {
      console.log(`${icon[d.action]} ${d.stage.padEnd(24)} ${d.action}`);
      for (const r of d.reasons) if (d.action !== "up-to-date") console.log(`      ${r}`);
    }
    const todo = plan.filter((d) => d.action === "run" || d.action === "restore").length;
    console.log(todo === 0 ? "Everything is up to date." : `${todo} of ${plan.length} stages would change.`);
    return 0;
  });
}

async function cmdDag(root: string, args: string[]): Promise<number> {
  const { values } = options(args, { mermaid: { type: "boolean" }, dot: { type: "boolean" } });
  return await withProject(root, [], (project) => {
    console.log(renderDag(project.graph, values.mermaid ? "mermaid" : values.dot ? "dot" : "text"));
    return Promise.resolve(0);
  });
}

async function baseRev(root: string, given: string | undefined): Promise<string> {
  const rev = given ?? await defaultBaseRev(root);
  if (!(await revExists(root, rev))) {
    throw new PipelineError(
      `'${rev}' is not a git revision here (is ${root} in a git repository with commits?)`,
    );
  }
  return rev;
}

async function cmdParams(root: string, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== "diff") throw new PipelineError(`usage: params diff [REV] [--all] [--md | --json]`);
  const { values, positionals } = options(rest, {
    all: { type: "boolean" },
    md: { type: "boolean" },
    json: { type: "boolean" },
  });
  const rev = await baseRev(root, positionals[0]);
  const oldText = await gitShow(root, rev, PARAMS_FILE);
  const old = oldText ? (parseYamlText(oldText) ?? {}) : {};
  const now = parseYamlText(await Deno.readTextFile(`${root}/${PARAMS_FILE}`).catch(() => "")) ?? {};
  const keys = [...new Set([...leafKeys(old), ...leafKeys(now)])].sort();
  const rows = keys
    .map((k) => [k, lookup(old, k), lookup(now, k)] as const)
    .filter(([, a, b]) => values.all || canonicalJson(a) !== canonicalJson(b));
  if (values.json) {
    console.log(
      JSON.stringify(Object.fromEntries(rows.map(([k, a, b]) => [k, { old: a, new: b }])), null, 2),
    );
  } else if (rows.length === 0) {
    console.log(`No params changed since ${rev}.`);
  } else {
    console.log(
      renderTable(["Param", rev, "workspace"], rows.map(([k, a, b]) => [k, cell(a), cell(b)]), values.md),
    );
  }
  return 0;
}

async function cmdMetrics(root: string, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = options(rest, {
    all: { type: "boolean" },
    md: { type: "boolean" },
    json: { type: "boolean" },
  });
  return await withProject(root, [], async (project) => {
    const now = await workspaceMetrics(project);
    if (sub === "show") {
      if (values.json) console.log(JSON.stringify(now, null, 2));
      else {
        const rows = Object.entries(now).flatMap(([path, m]) =>
          Object.entries(m).map(([k, v]) => [path, k, cell(v)])
        );
        console.log(
          rows.length ? renderTable(["Path", "Metric", "Value"], rows, values.md) : "No metrics yet.",
        );
      }
      return 0;
    }
    if (sub !== "diff") throw new PipelineError(`usage: metrics show | metrics diff [REV]`);
    const rev = await baseRev(root, positionals[0]);
    const rows = diffMetrics(await revisionMetrics(project, rev), now, values.all);
    if (values.json) console.log(JSON.stringify(rows, null, 2));
    else if (rows.length === 0) console.log(`No metrics changed since ${rev}.`);
    else {
      console.log(renderTable(
        ["Path", "Metric", rev, "workspace", "Change"],
        rows.map((
          r,
        ) => [r.path, r.key, cell(r.old), cell(r.new), r.delta === undefined ? "—" : cell(r.delta)]),
        values.md,
      ));
    }
    return 0;
  });
}

async function cmdGc(root: string, args: string[]): Promise<number> {
  const { values } = options(args, { dry: { type: "boolean" }, "keep-run-cache": { type: "boolean" } });
  requirePipelineFile(root);
  using _lock = await acquireReproLock(`${root}/.pipeline`, (m) => console.error(m));
  return await withProject(root, [], async (project) => {
    const r = await gc(project, {
      dry: values.dry ?? false,
      keepRunCache: values["keep-run-cache"] ?? false,
    });
    const verb = values.dry ? "would remove" : "removed";
    console.log(
      `${verb} ${r.objects} cache objects (${
        (r.bytes / 2 ** 20).toFixed(1)
      } MiB) and ${r.runEntries} run-cache entries`,
    );
    return 0;
  });
}

async function cmdSync(root: string, command: "push" | "fetch" | "pull", args: string[]): Promise<number> {
  const { values, positionals } = options(args, {
    remote: { type: "string", short: "r" },
    jobs: { type: "string", short: "j" },
    "run-cache": { type: "boolean" },
    force: { type: "boolean", short: "f" },
  });
  const jobs = Number(values.jobs ?? 8);
  if (!Number.isInteger(jobs) || jobs < 1) {
    throw new PipelineError(`--jobs '${values.jobs}': expected a whole number ≥ 1`);
  }
  requirePipelineFile(root);
  using _lock = command === "pull"
    ? await acquireReproLock(`${root}/.pipeline`, (m) => console.error(m))
    : undefined;
  return await withProject(root, [], async (project) => {
    const opts = {
      targets: positionals,
      remote: values.remote,
      jobs,
      runCache: values["run-cache"] ?? false,
      progress,
    };
    if (command === "pull") {
      const report = await pull(project, opts, values.force ?? false);
      const problem = printTransfer("fetched", report, "the remote");
      console.log(`checked out ${report.checkedOut.length} outputs`);
      for (const k of report.kept) console.error(`  ${k}`);
      return problem || report.kept.length ? 1 : 0;
    }
    if (command === "push") {
      const report = await push(project, opts);
      if (opts.runCache) console.log(`pushed ${report.runs} run-cache entries`);
      return printTransfer("pushed", report, "the local cache") ? 1 : 0;
    }
    const report = await fetchFromRemote(project, opts);
    return printTransfer("fetched", report, "the remote") ? 1 : 0;
  });
}

function printTransfer(verb: string, report: TransferReport, source: string): boolean {
  const { line, problem } = summarize(verb, report, source);
  console.log(line);
  if (problem) console.error(`error: ${problem}`);
  return problem !== undefined;
}

function progress(verb: string): TransferProgress {
  return new TransferProgress(verb, progressWriter());
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (e) {
    if (e instanceof PipelineError) {
      console.error(`error: ${e.message}`);
      Deno.exit(2);
    }
    throw e;
  }
}
