/**
 * Garbage collection: drop cache objects that neither the lock nor the workspace's outputs refer to (and, unless
 * kept, run-cache entries that no longer have their objects), and the sandbox staging directories that runs
 * killed mid-stage left in `.pipeline/sandbox/` (the caller holds the repro lock, so no stage is using one).
 *
 * @module
 */
import type { Project } from "./project.ts";

/** What {@link gc} removed (or would remove, with `dry`). */
export interface GcReport {
  readonly objects: number;
  readonly bytes: number;
  readonly runEntries: number;
  /** Sandbox staging directories left by killed runs (pipeline/sandbox.ts). */
  readonly stagingDirs: number;
}

/**
 * Collect garbage. With `keepRunCache`, or when the cache is shared (`cache.dir`, PIPELINE_CACHE_DIR), objects
 * referenced by any run-cache entry are kept too.
 *
 * @example
 * ```ts
 * const r = await gc(project, { dry: false, keepRunCache: false });
 * console.log(`removed ${r.objects} objects`);
 * ```
 */
export async function gc(project: Project, opts: { dry: boolean; keepRunCache: boolean }): Promise<GcReport> {
  const keep = new Set<string>();
  for (const entry of Object.values(project.lock)) {
    for (const rec of Object.values(entry.outs)) project.objects.referenced(rec, keep);
  }
  for (const stage of project.spec.stages) {
    for (const out of stage.outs) {
      const node = await project.hasher.node(out.path);
      if (node && project.objects.has(node.digest)) {
        project.objects.referenced(
          node.type === "dir" ? { digest: node.digest, size: node.size, nfiles: node.nfiles } : node,
          keep,
        );
      }
    }
  }
  const runs = [...project.runs.all()];
  // A cache shared with other clones holds their results too: its run-cache names them, so keep it all.
  const shared = project.objects.dir !== `${project.dir}/cache`;
  if (opts.keepRunCache || shared) {
    for (const { entry } of runs) {
      for (const rec of Object.values(entry.outs)) project.objects.referenced(rec, keep);
    }
  }
  let objects = 0, bytes = 0;
  for (const digest of [...project.objects.objects()]) {
    if (keep.has(digest)) continue;
    objects++;
    bytes += Deno.statSync(project.objects.objectPath(digest)).size;
    if (!opts.dry) await project.objects.remove(digest);
  }
  let runEntries = 0;
  for (const { file, entry } of runs) {
    // Judged against what survives this collection (not what is on disk now), so --dry counts the same
    // entries a real run removes.
    const needed = new Set<string>();
    for (const rec of Object.values(entry.outs)) project.objects.referenced(rec, needed);
    const complete = Object.keys(entry.outs).length > 0 &&
      Object.values(entry.outs).every((o) => project.objects.hasAll(o)) &&
      [...needed].every((d) => keep.has(d));
    if (complete) continue;
    runEntries++;
    if (!opts.dry) await Deno.remove(file).catch(() => {});
  }
  let stagingDirs = 0;
  for (const entry of readDirOrEmpty(`${project.dir}/sandbox`)) {
    stagingDirs++;
    if (!opts.dry) await Deno.remove(`${project.dir}/sandbox/${entry.name}`, { recursive: true });
  }
  return { objects, bytes, runEntries, stagingDirs };
}

function readDirOrEmpty(dir: string): Deno.DirEntry[] {
  try {
    return [...Deno.readDirSync(dir)];
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
}
