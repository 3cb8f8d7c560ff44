/**
 * A pipeline project opened for one command: its params, stages, graph, lock and caches.
 *
 * @module
 */
import { ObjectCache } from "./cache.ts";
import { loadConfig, type SharingSettings, sharingSettings } from "./config.ts";
import { buildGraph, type StageGraph } from "./graph.ts";
import { Hasher } from "./hash.ts";
import { type Lock, type LockEntry, readLock } from "./lock.ts";
import { PipelineError } from "./errors.ts";
import { loadParams, type Params } from "./params.ts";
import { checkParamsSchema } from "./params_schema.ts";
import { RunCache } from "./runcache.ts";
import { loadPipeline, type PipelineSpec } from "./spec.ts";
import { StateCache } from "./state.ts";

/** Everything a command needs about one project. */
export interface Project {
  /** Absolute project root. */
  readonly root: string;
  /** The runner's own directory (`.pipeline/`). */
  readonly dir: string;
  readonly params: Params;
  readonly spec: PipelineSpec;
  readonly graph: StageGraph;
  readonly lock: Lock;
  readonly objects: ObjectCache;
  readonly runs: RunCache;
  readonly state: StateCache;
  readonly hasher: Hasher;
  /** The cache and remotes, from pipeline.config.yaml and .pipeline/config.local.yaml. */
  readonly sharing: SharingSettings;
  /** With `repro --pull`: fetches results the local cache lacks from a remote (see remote_sync.ts). */
  remoteSource?: RemoteSource;
}

/** Where `repro --pull` finds results missing from the local cache. */
export interface RemoteSource {
  /** Fetch every object of `outs` into the local cache; false when the remote lacks some or they are damaged. */
  fetchOuts(outs: LockEntry["outs"]): Promise<boolean>;
}

/**
 * Open the project in `root` with the given `--set` overrides; call {@link closeProject} when done.
 *
 * @example
 * ```ts
 * const project = await openProject(Deno.cwd(), {});
 * try { ... } finally { await closeProject(project); }
 * ```
 */
export async function openProject(root: string, overrides: Record<string, unknown>): Promise<Project> {
  const params = await loadParams(root, overrides);
  const spec = await loadPipelineBlamingOverrides(root, params);
  if (spec.paramsSchema) {
    await checkParamsSchema(root, params, spec.paramsSchema.path, spec.paramsSchema.where);
  }
  const graph = buildGraph(spec.stages);
  const dir = `${root}/.pipeline`;
  const state = await StateCache.open(`${dir}/state.json`);
  const sharing = sharingSettings(root, await loadConfig(root));
  const objects = new ObjectCache(sharing.cacheDir, { groupShared: sharing.groupShared });
  return {
    root,
    dir,
    params,
    spec,
    graph,
    lock: await readLock(root),
    objects,
    runs: new RunCache(sharing.cacheDir, (d) => objects.makeDir(d)),
    state,
    hasher: new Hasher(root, state),
    sharing,
  };
}

/**
 * Load the pipeline; when it fails only because of `--set` overrides (a list made a number, say), the error
 * names the override that breaks it rather than only the pipeline.yaml position where it broke.
 */
async function loadPipelineBlamingOverrides(root: string, params: Params): Promise<PipelineSpec> {
  try {
    return await loadPipeline(root, params);
  } catch (e) {
    if (!(e instanceof PipelineError) || Object.keys(params.overrides).length === 0) throw e;
    const loads = async (overrides: Record<string, unknown>) =>
      await loadPipeline(root, await loadParams(root, overrides)).then(() => true, () => false);
    if (!(await loads({}))) throw e;
    for (const [key, value] of Object.entries(params.overrides)) {
      const alone = await loadPipeline(root, await loadParams(root, { [key]: value })).then(
        () => true,
        () => false,
      );
      if (!alone) {
        const shown = typeof value === "string" ? value : JSON.stringify(value);
        throw new PipelineError(`--set ${key}=${shown}: ${e.message}`);
      }
    }
    throw e;
  }
}

/** Save the state cache and stop hashing workers. */
export async function closeProject(project: Project): Promise<void> {
  project.hasher.close();
  await project.state.save().catch(() => {});
}
