/**
 * Text of workspace files as they were at a git revision: from git when tracked, else from the cache through
 * that revision's `pipeline.lock` (outputs the runner caches are usually not in git).
 *
 * @module
 */
import { gitShow } from "./git.ts";
import { LOCK_FILE, parseLock } from "./lock.ts";
import type { Project } from "./project.ts";

/**
 * A reader of files at `rev`; undefined for a file neither git nor the cache has.
 *
 * @example
 * ```ts
 * const read = await revisionReader(project, "HEAD~1");
 * const text = await read("outputs/models/a0-s1.curves.json");
 * ```
 */
export async function revisionReader(
  project: Project,
  rev: string,
): Promise<(path: string) => Promise<string | undefined>> {
  const lockText = await gitShow(project.root, rev, LOCK_FILE);
  const lock = lockText ? parseLock(lockText, `${rev}:${LOCK_FILE}`) : {};
  const recorded = new Map(Object.values(lock).flatMap((e) => Object.entries(e.outs)));
  return async (path) => {
    const text = await gitShow(project.root, rev, path);
    if (text !== undefined) return text;
    const rec = recorded.get(path);
    if (rec && project.objects.has(rec.digest)) {
      return await Deno.readTextFile(project.objects.objectPath(rec.digest));
    }
    return undefined;
  };
}
