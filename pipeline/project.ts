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
import { loadParams, type Params } from "./params.ts";
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
  const spec = await loadPipeline(root, params);
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

/** Save the state cache and stop hashing workers. */
export async function closeProject(project: Project): Promise<void> {
  project.hasher.close();
  await project.state.save().catch(() => {});
}
