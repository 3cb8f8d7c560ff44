/**
 * The decision for each stage: `up-to-date`, `restore` (from the cache, without running), `run`, or `frozen`,
 * with the reasons. `status` and `repro --dry` plan every stage ahead, predicting upstream results (restored
 * outs exactly, also inside directory and glob deps: predict_dep.ts); `repro` decides each stage when its
 * upstream has finished. The one thing a plan cannot know is what a stage that runs will write, so a stage
 * reading it is planned to run (repro finds it up to date if the outputs come out unchanged).
 *
 * @module
 */
import { explain, type Fingerprint, stageKey } from "./fingerprint.ts";
import { depReadsOut, isWithin } from "./graph.ts";
import { predictRestoredDep, type RestoredOut } from "./predict_dep.ts";
import { PipelineError } from "./errors.ts";
import { isGlob } from "./glob.ts";
import type { DepRecord, LockEntry } from "./lock.ts";
import { lookup } from "./params.ts";
import type { Project } from "./project.ts";
import type { StageSpec } from "./spec.ts";

/** What will happen to a stage. */
export type Action = "up-to-date" | "restore" | "run" | "frozen";

/** A stage's decision and why. */
export interface Decision {
  readonly stage: string;
  readonly action: Action;
  readonly reasons: readonly string[];
  /** The stage key, when every dep is known. */
  readonly key?: string;
  readonly fingerprint?: Fingerprint;
  /** For `restore` (and `up-to-date`): the recorded result whose outputs apply. */
  readonly result?: LockEntry;
}

/** Predicted outputs of stages planned earlier in the same plan (for `status` and `--dry`). */
export type Predicted = Map<string, Decision>;

/**
 * Decide one stage. With `predicted`, deps written by upstream stages are taken from their predicted results
 * rather than the workspace.
 *
 * @example
 * ```ts
 * const d = await decide(project, project.graph.stages.get("train")!);
 * d.action; // "run"
 * d.reasons; // ["param 'train.lr' changed: 0.1 -> 0.01"]
 * ```
 */
export async function decide(project: Project, stage: StageSpec, predicted?: Predicted): Promise<Decision> {
  const entry = project.lock[stage.name];
  if (stage.frozen) {
    return { stage: stage.name, action: "frozen", reasons: ["frozen in pipeline.yaml"], result: entry };
  }
  const deps: Record<string, DepRecord> = {};
  for (const dep of stage.deps) {
    const known = predicted ? await predictDep(project, stage, dep, predicted) : undefined;
    if (known === "unknown") {
      const ups = upstreamRunning(project, stage, dep, predicted!);
      const why = ups
        ? `upstream stage '${ups}' will run`
        : `dep '${dep}' after the upstream restores is not predictable`;
      return { stage: stage.name, action: "run", reasons: [why] };
    }
    const record = known ?? await workspaceDep(project, stage, dep);
    deps[dep] = record;
  }
  const fingerprint: Fingerprint = {
    cmd: stage.cmd,
    wdir: stage.wdir,
    deps,
    params: Object.fromEntries(stage.params.map((k) => [k, lookup(project.params.values, k)])),
    outs: stage.outs.map((o) => o.path),
    ...(Object.keys(project.spec.keyedEnv).length > 0 ? { env: project.spec.keyedEnv } : {}),
  };
  const key = stageKey(fingerprint);
  const base = { stage: stage.name, key, fingerprint };
  if (stage.alwaysChanged) return { ...base, action: "run", reasons: ["always_changed in pipeline.yaml"] };
  const changes = entry && entry.key === key ? [] : explain(fingerprint, entry);
  if (changes.length === 0 && entry) {
    const outChanges = await outsDiffer(project, entry);
    if (outChanges.length === 0) return { ...base, action: "up-to-date", reasons: [], result: entry };
    if (restorable(project, stage, entry) || await fetchedFromRemote(project, stage, entry)) {
      return { ...base, action: "restore", reasons: outChanges, result: entry };
    }
    return { ...base, action: "run", reasons: [...outChanges, "not in the cache"] };
  }
  const reasons = changes.length > 0 ? changes : ["key changed"];
  if (restorable(project, stage)) {
    const hit = project.runs.find(key, fingerprint.outs, project.objects) ??
      await remoteRunCacheHit(project, stage, key, fingerprint.outs);
    if (hit) {
      return {
        ...base,
        action: "restore",
        reasons: [...reasons, "this result is in the run-cache"],
        result: hit,
      };
    }
  }
  return { ...base, action: "run", reasons };
}

/** Whether a stage's results can come from the cache: it has outs, and all are cached (metrics and plots are). */
export function runCacheable(stage: StageSpec): boolean {
  return stage.outs.length > 0 && !stage.alwaysChanged &&
    stage.outs.every((o) => o.cache || o.kind !== "outs");
}

function restorable(project: Project, stage: StageSpec, entry?: LockEntry): boolean {
  if (!runCacheable(stage)) return false;
  return !entry || Object.values(entry.outs).every((o) => project.objects.hasAll(o));
}

/** With `repro --pull`: whether the remote supplied every object of `entry`'s outputs. */
async function fetchedFromRemote(project: Project, stage: StageSpec, entry: LockEntry): Promise<boolean> {
  if (!project.remoteSource || !runCacheable(stage)) return false;
  return await project.remoteSource.fetchOuts(entry.outs);
}

/** With `repro --pull`: the newest run-cache entry for `key` (with exactly `outs`) whose objects the remote supplied. */
async function remoteRunCacheHit(
  project: Project,
  stage: StageSpec,
  key: string,
  outs: readonly string[],
): Promise<LockEntry | undefined> {
  const want = [...outs].sort().join("\0");
  for (const entry of project.runs.entries(key)) {
    if (Object.keys(entry.outs).sort().join("\0") !== want) continue;
    if (await fetchedFromRemote(project, stage, entry)) return entry;
  }
  return undefined;
}

async function outsDiffer(project: Project, entry: LockEntry): Promise<string[]> {
  const out: string[] = [];
  for (const [path, recorded] of Object.entries(entry.outs)) {
    const now = await project.hasher.node(path);
    if (!now) out.push(`out '${path}' deleted`);
    else if (now.digest !== recorded.digest) out.push(`out '${path}' modified`);
  }
  return out;
}

async function workspaceDep(project: Project, stage: StageSpec, dep: string): Promise<DepRecord> {
  if (isGlob(dep)) {
    const g = await project.hasher.glob(dep);
    if (Object.keys(g.files).length === 0) {
      throw new PipelineError(
        `stage '${stage.name}' (${stage.where}): dep glob '${dep}' matches no file; fix the pattern, or ` +
          `create the files it should match (a glob that matches nothing is an error, so that a typo cannot ` +
          `leave a stage depending on nothing)`,
      );
    }
    return { digest: g.digest, size: g.size, files: g.files };
  }
  const node = await project.hasher.node(dep);
  if (!node) {
    const producer = project.spec.stages.find((s) => s.outs.some((o) => isWithin(dep, o.path)));
    throw new PipelineError(
      producer
        ? `stage '${stage.name}': dep '${dep}' does not exist; stage '${producer.name}' should write it — ` +
          `run 'repro ${producer.name}' (or without targets)`
        : `stage '${stage.name}' (${stage.where}): dep '${dep}' does not exist, and no stage writes it; ` +
          `create it, or fix the path in pipeline.yaml`,
    );
  }
  return node.type === "dir"
    ? { digest: node.digest, size: node.size, nfiles: node.nfiles }
    : { digest: node.digest, size: node.size };
}

/**
 * A dep's predicted record given the upstream decisions: undefined when no upstream stage that writes into it
 * changes anything (read the workspace), "unknown" when one will run, else the record after the restores.
 */
async function predictDep(
  project: Project,
  stage: StageSpec,
  dep: string,
  predicted: Predicted,
): Promise<DepRecord | "unknown" | undefined> {
  const restored: RestoredOut[] = [];
  for (const up of project.graph.upstream.get(stage.name) ?? []) {
    const d = predicted.get(up);
    if (!d || d.action === "up-to-date" || d.action === "frozen") continue;
    const outs = project.graph.stages.get(up)!.outs.filter((o) => depReadsOut(dep, o.path));
    if (outs.length === 0) continue;
    if (d.action === "run" || !d.result) return "unknown";
    for (const o of outs) {
      const record = d.result.outs[o.path];
      if (!record) return "unknown";
      restored.push({ path: o.path, record });
    }
  }
  if (restored.length === 0) return undefined;
  return await predictRestoredDep(project, dep, restored) ?? "unknown";
}

function upstreamRunning(
  project: Project,
  stage: StageSpec,
  dep: string,
  predicted: Predicted,
): string | undefined {
  return (project.graph.upstream.get(stage.name) ?? []).find((u) =>
    predicted.get(u)?.action === "run" &&
    project.graph.stages.get(u)!.outs.some((o) => depReadsOut(dep, o.path))
  );
}

/**
 * Plan the given stages in order, each seeing its upstream's predicted results; stages in `forced` run (as
 * `repro --force` makes them), unless frozen.
 *
 * @example
 * ```ts
 * for (const d of await planAll(project, project.graph.order)) console.log(d.stage, d.action);
 * ```
 */
export async function planAll(
  project: Project,
  names: readonly string[],
  forced: ReadonlySet<string> = new Set(),
): Promise<Decision[]> {
  const predicted: Predicted = new Map();
  const out: Decision[] = [];
  for (const name of names) {
    let d = await decide(project, project.graph.stages.get(name)!, predicted);
    if (forced.has(name)) d = forceRun(d);
    predicted.set(name, d);
    out.push(d);
  }
  return out;
}

/** The decision `--force` makes of `d`: run, unless frozen. */
export function forceRun(d: Decision): Decision {
  return d.action === "frozen" ? d : { ...d, action: "run", reasons: ["--force"] };
}
