/**
 * `verify [STAGE...]`: does the recorded result reproduce? Each chosen stage (default: all) is run again in a
 * scratch copy of the project, from the same inputs, and every out's digest is compared with the lock. For an
 * out that differs, the files that differ are listed, and for JSON files the fields (JSON paths) that differ.
 * The workspace, the cache and the lock are not touched: the copy has its own `.pipeline/`, and is removed
 * afterwards.
 *
 * Each stage runs from the locked inputs, even when an upstream stage did not reproduce: after a stage is
 * checked, its outs in the copy are put back to the workspace's. A stage whose workspace is not up to date
 * with the lock cannot be checked against it (`repro` first) and counts as not reproduced.
 *
 * The copy holds everything under the project root except `.git/` and `.pipeline/`; `node_modules/` and other
 * top-level dot-directories (tool caches) are linked rather than copied.
 *
 * @example
 * ```ts
 * const report = await verify(project, { targets: ["train"] }, new LocalExecutor(), console.log, signal);
 * console.log(renderVerifyReport(report));
 * Deno.exit(report.ok ? 0 : 1);
 * ```
 *
 * @module
 */
import type { Digested } from "./cache.ts";
import type { Executor } from "./executor.ts";
import { selectStages } from "./graph.ts";
import { Hasher, type TreeNode } from "./hash.ts";
import { decide } from "./plan.ts";
import type { Project } from "./project.ts";
import type { StageSpec } from "./spec.ts";
import { stageEnv } from "./stage_run.ts";
import { StateCache } from "./state.ts";

/** Options of {@link verify}. */
export interface VerifyOptions {
  /** Stage or group names; empty for all. Only these run (their upstream is taken as recorded). */
  readonly targets: readonly string[];
  /** Keep the scratch copy (its path is in the report), e.g. to inspect a difference. */
  readonly keepScratch?: boolean;
}

/** The verdict on one out. */
export interface OutVerdict {
  readonly path: string;
  readonly reproduced: boolean;
  readonly locked: string;
  /** The digest of the rerun's out; undefined when the rerun did not write it. */
  readonly rerun?: string;
  /** Files (root-relative) that differ, for a directory out; the out itself for a file. */
  readonly files?: readonly string[];
  /** Per differing JSON file: the JSON paths whose values differ (e.g. `$.attacks.fgsm.auc`). */
  readonly fields?: Readonly<Record<string, readonly string[]>>;
}

/** The verdict on one stage. */
export interface StageVerdict {
  readonly stage: string;
  /** `checked`: it ran and its outs were compared; otherwise why it could not be. */
  readonly status: "checked" | "not up to date" | "failed" | "no lock entry";
  readonly detail?: string;
  readonly outs: readonly OutVerdict[];
}

/** What {@link verify} found. */
export interface VerifyReport {
  /** Every stage checked and every out reproduced. */
  readonly ok: boolean;
  readonly stages: readonly StageVerdict[];
  /** The scratch copy, when kept. */
  readonly scratch?: string;
}

/** Rerun `opts.targets` in a scratch copy and compare their outs with the lock (see the module doc). */
export async function verify(
  project: Project,
  opts: VerifyOptions,
  executor: Executor,
  onLine: (line: string) => void,
  signal: AbortSignal,
): Promise<VerifyReport> {
  const names = selectStages(project.graph, opts.targets, false);
  const scratch = await Deno.makeTempDir({ prefix: "pipeline-verify-" });
  const stages: StageVerdict[] = [];
  try {
    await copyProject(project.root, scratch);
    const state = await StateCache.open(`${scratch}/.pipeline/state.json`);
    const hasher = new Hasher(scratch, state);
    try {
      for (const name of names) {
        if (signal.aborted) break;
        const stage = project.graph.stages.get(name)!;
        stages.push(await verifyStage(project, stage, scratch, hasher, executor, onLine, signal));
      }
    } finally {
      hasher.close();
    }
  } finally {
    if (!opts.keepScratch) await Deno.remove(scratch, { recursive: true }).catch(() => {});
  }
  const ok = !signal.aborted && stages.length === names.length &&
    stages.every((s) => s.status === "checked" && s.outs.every((o) => o.reproduced));
  return { ok, stages, ...(opts.keepScratch ? { scratch } : {}) };
}

async function verifyStage(
  project: Project,
  stage: StageSpec,
  scratch: string,
  hasher: Hasher,
  executor: Executor,
  onLine: (line: string) => void,
  signal: AbortSignal,
): Promise<StageVerdict> {
  const entry = project.lock[stage.name];
  if (!entry) {
    return { stage: stage.name, status: "no lock entry", detail: "never recorded: repro it", outs: [] };
  }
  const decision = await decide(project, stage);
  if (decision.action !== "up-to-date") {
    return {
      stage: stage.name,
      status: "not up to date",
      detail: `${decision.reasons.join("; ")}: run repro first`,
      outs: [],
    };
  }
  // As `repro` does: outs start absent, except `persist` ones, which the command updates in place.
  const movable = stage.outs.filter((o) => !o.persist).map((o) => o.path);
  for (const path of movable) await Deno.remove(`${scratch}/${path}`, { recursive: true }).catch(() => {});
  const logPath = `${scratch}/.pipeline/verify-${encodeURIComponent(stage.name)}.log`;
  onLine(`▶ ${stage.name}: rerunning in ${scratch}`);
  const result = await executor.run({
    stage: stage.name,
    cmd: stage.cmd,
    cwd: stage.wdir ? `${scratch}/${stage.wdir}` : scratch,
    env: stageEnv(project, stage, decision, scratch),
    resources: Object.fromEntries(
      Object.entries(stage.resources).map(([k, n]) => [k, Array.from({ length: Math.ceil(n) }, (_, i) => i)]),
    ),
    logPath,
    onLine: (line) => onLine(`  ${stage.name} │ ${line}`),
    signal,
  });
  try {
    if (result.code !== 0) {
      return {
        stage: stage.name,
        status: "failed",
        detail: `the rerun exited with code ${result.code}; its log: ${await tail(logPath)}`,
        outs: [],
      };
    }
    const outs: OutVerdict[] = [];
    for (const [path, locked] of Object.entries(entry.outs)) {
      outs.push(await compareOut(project, scratch, hasher, path, locked));
    }
    return { stage: stage.name, status: "checked", outs };
  } finally {
    // Later stages run from the recorded inputs, whatever this rerun wrote.
    for (const path of stage.outs.map((o) => o.path)) {
      await Deno.remove(`${scratch}/${path}`, { recursive: true }).catch(() => {});
      await copyPath(`${project.root}/${path}`, `${scratch}/${path}`);
    }
  }
}

async function compareOut(
  project: Project,
  scratch: string,
  hasher: Hasher,
  path: string,
  locked: Digested,
): Promise<OutVerdict> {
  const rerun = await hasher.node(path);
  if (!rerun) return { path, reproduced: false, locked: locked.digest, files: [path] };
  if (rerun.digest === locked.digest) {
    return { path, reproduced: true, locked: locked.digest, rerun: rerun.digest };
  }
  const recorded = await project.hasher.node(path); // the workspace, up to date with the lock
  const files = recorded ? differingFiles(path, recorded, rerun) : [path];
  const fields: Record<string, string[]> = {};
  for (const file of files.filter((f) => f.endsWith(".json"))) {
    const [a, b] = await Promise.all([readJson(`${project.root}/${file}`), readJson(`${scratch}/${file}`)]);
    if (a !== undefined && b !== undefined) fields[file] = jsonDiffPaths(a, b);
  }
  return { path, reproduced: false, locked: locked.digest, rerun: rerun.digest, files, fields };
}

/** Root-relative files that differ between two trees of the same out (added and removed ones included). */
export function differingFiles(path: string, a: TreeNode, b: TreeNode): string[] {
  if (a.digest === b.digest) return [];
  if (a.type === "file" || b.type === "file") return [path];
  const names = [...new Set([...a.entries.keys(), ...b.entries.keys()])].sort();
  return names.flatMap((name) => {
    const x = a.entries.get(name), y = b.entries.get(name);
    return x && y ? differingFiles(`${path}/${name}`, x, y) : [`${path}/${name}`];
  });
}

/**
 * The JSON paths at which two values differ: `$` for the root, `.key` for members, `[i]` for items. A member
 * present on one side only is listed. At most `limit` paths.
 *
 * @example
 * ```ts
 * jsonDiffPaths({ a: 1, b: [1, 2] }, { a: 1, b: [1, 3] }); // ["$.b[1]"]
 * ```
 */
export function jsonDiffPaths(a: unknown, b: unknown, limit = 50): string[] {
  const out: string[] = [];
  const walk = (x: unknown, y: unknown, at: string) => {
    if (out.length >= limit) return;
    const bothArrays = Array.isArray(x) && Array.isArray(y);
    const bothObjects = !bothArrays && isPlainObject(x) && isPlainObject(y);
    if (bothArrays) {
      for (let i = 0; i < Math.max(x.length, y.length); i++) {
        if (i >= x.length || i >= y.length) out.push(`${at}[${i}]`);
        else walk(x[i], y[i], `${at}[${i}]`);
      }
    } else if (bothObjects) {
      const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])].sort();
      for (const k of keys) {
        const member = /^[A-Za-z_$][\w$]*$/.test(k) ? `${at}.${k}` : `${at}[${JSON.stringify(k)}]`;
        if (!(k in x) || !(k in y)) out.push(member);
        else walk(x[k], y[k], member);
      }
    } else if (!Object.is(x, y)) out.push(at);
  };
  walk(a, b, "$");
  return out.slice(0, limit);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch {
    return undefined;
  }
}

async function tail(path: string, lines = 5): Promise<string> {
  const text = await Deno.readTextFile(path).catch(() => "");
  return text.trimEnd().split("\n").slice(-lines).join(" | ");
}

/** Copy the project into `to`: see the module doc for what is linked and what is left out. */
async function copyProject(root: string, to: string): Promise<void> {
  for (const e of Deno.readDirSync(root)) {
    if (e.name === ".git" || e.name === ".pipeline") continue;
    if (e.isDirectory && (e.name === "node_modules" || e.name.startsWith("."))) {
      await Deno.symlink(`${root}/${e.name}`, `${to}/${e.name}`);
    } else await copyPath(`${root}/${e.name}`, `${to}/${e.name}`);
  }
  await Deno.mkdir(`${to}/.pipeline`, { recursive: true });
}

async function copyPath(from: string, to: string): Promise<void> {
  try {
    await Deno.lstat(from);
  } catch {
    return; // nothing recorded there
  }
  const dir = to.replace(/\/[^/]*$/, "");
  await Deno.mkdir(dir, { recursive: true });
  const r = await new Deno.Command("cp", { args: ["-a", "--reflink=auto", from, to], stderr: "piped" })
    .output();
  if (!r.success) throw new Error(`copying ${from} to ${to}: ${new TextDecoder().decode(r.stderr).trim()}`);
}

/**
 * The report as text: per stage, each out `✓ reproduced` or `✗ differs` with the differing files and JSON
 * fields; then a one-line verdict.
 */
export function renderVerifyReport(report: VerifyReport): string {
  const lines: string[] = [];
  for (const s of report.stages) {
    if (s.status !== "checked") {
      lines.push(`✗ ${s.stage}: ${s.status}${s.detail ? ` (${s.detail})` : ""}`);
      continue;
    }
    const bad = s.outs.filter((o) => !o.reproduced).length;
    lines.push(`${bad ? "✗" : "✓"} ${s.stage}`);
    for (const o of s.outs) {
      if (o.reproduced) {
        lines.push(`    ✓ ${o.path}  reproduced (${o.locked.slice(0, 12)})`);
        continue;
      }
      lines.push(
        `    ✗ ${o.path}  differs: locked ${o.locked.slice(0, 12)}, rerun ${
          o.rerun?.slice(0, 12) ?? "(not written)"
        }`,
      );
      for (const f of o.files ?? []) {
        const fields = o.fields?.[f];
        lines.push(`        ${f}${fields?.length ? `: ${fields.join(", ")}` : ""}`);
      }
    }
  }
  const outs = report.stages.flatMap((s) => s.outs);
  const good = outs.filter((o) => o.reproduced).length;
  const unchecked = report.stages.filter((s) => s.status !== "checked").length;
  lines.push(
    report.ok
      ? `All ${outs.length} outputs of ${report.stages.length} stages reproduced.`
      : `${good} of ${outs.length} outputs reproduced${
        unchecked ? `; ${unchecked} stages not checked` : ""
      }.`,
  );
  if (report.scratch) lines.push(`Scratch copy kept at ${report.scratch}`);
  return lines.join("\n");
}
