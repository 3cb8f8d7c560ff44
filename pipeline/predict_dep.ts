/**
 * The digest a dep will have once upstream stages have been restored from the cache, without touching the
 * workspace: for `status` and `repro --dry`, so that they predict what `repro` does. A dep that is a restored
 * out (or lies inside one) takes the recorded digest; a directory or glob that contains restored outs is the
 * workspace's tree or match list with those outs put in, hashed as the hasher would hash it after the restore.
 *
 * @module
 */
import { type Digested, isDirDigest, type ObjectCache } from "./cache.ts";
import { canonicalJson } from "./canonical.ts";
import { digestBytes } from "./file_digest.ts";
import { globToRegExp, isGlob } from "./glob.ts";
import { isWithin } from "./graph.ts";
import { dirManifest, type Hasher } from "./hash.ts";
import type { DepRecord } from "./lock.ts";

/** An out a planned upstream restore will put back: its path and recorded digest. */
export interface RestoredOut {
  readonly path: string;
  readonly record: Digested;
}

/** What predicting needs of the project. */
export interface PredictContext {
  readonly root: string;
  readonly hasher: Hasher;
  readonly objects: ObjectCache;
}

/**
 * The record `dep` will have after `restored` are checked out, or undefined when that cannot be known from
 * the cache (a manifest missing).
 *
 * @example
 * ```ts
 * const rec = await predictRestoredDep(project, "outputs/selectivity", [{ path: "outputs/selectivity/a.json", record }]);
 * ```
 */
export async function predictRestoredDep(
  ctx: PredictContext,
  dep: string,
  restored: readonly RestoredOut[],
): Promise<DepRecord | undefined> {
  if (isGlob(dep)) return await predictGlob(ctx, dep, restored);
  for (const { path, record } of restored) {
    if (path === dep) return record;
    if (isWithin(dep, path)) {
      const inner = ctx.objects.digestInside(record, dep.slice(path.length + 1));
      if (!inner) return undefined;
      return inner.nfiles === undefined ? { digest: inner.digest, size: inner.size } : inner;
    }
  }
  return await predictDir(ctx, dep, restored);
}

async function predictGlob(ctx: PredictContext, glob: string, restored: readonly RestoredOut[]) {
  const now = await ctx.hasher.glob(glob);
  const files = new Map(Object.entries(now.files).map(([p, d]) => [p, { digest: d, size: sizeOf(ctx, p) }]));
  const re = globToRegExp(glob);
  for (const { path, record } of restored) {
    for (const p of [...files.keys()]) if (isWithin(p, path)) files.delete(p);
    const inside = cachedFiles(ctx.objects, path, record);
    if (!inside) return undefined;
    for (const f of inside) if (re.test(f.path)) files.set(f.path, { digest: f.digest, size: f.size });
  }
  const sorted = [...files.keys()].sort();
  const digests = Object.fromEntries(sorted.map((p) => [p, files.get(p)!.digest]));
  const size = sorted.reduce((n, p) => n + files.get(p)!.size, 0);
  return { digest: await digestBytes(canonicalJson(digests)), size, files: digests };
}

function sizeOf(ctx: PredictContext, rel: string): number {
  return Deno.statSync(`${ctx.root}/${rel}`).size;
}

/** Every file of a recorded out with its root-relative path; undefined when a manifest is not cached. */
function cachedFiles(
  objects: ObjectCache,
  path: string,
  record: Digested,
): { path: string; digest: string; size: number }[] | undefined {
  if (!isDirDigest(record)) return [{ path, digest: record.digest, size: record.size }];
  const rows = objects.manifest(record.digest);
  if (!rows) return undefined;
  const out: { path: string; digest: string; size: number }[] = [];
  for (const [name, type, digest, size] of rows) {
    const inner = cachedFiles(objects, `${path}/${name}`, {
      digest,
      size,
      nfiles: type === "dir" ? 0 : undefined,
    });
    if (!inner) return undefined;
    out.push(...inner);
  }
  return out;
}

/** A directory tree node as far as its digest goes. */
interface Node {
  type: "file" | "dir";
  digest: string;
  size: number;
  nfiles: number;
  entries?: Map<string, Node>;
}

async function predictDir(ctx: PredictContext, dep: string, restored: readonly RestoredOut[]) {
  const ws = await ctx.hasher.node(dep);
  if (ws && ws.type === "file") return undefined;
  const tree: Node = ws ? toNode(ws) : { type: "dir", digest: "", size: 0, nfiles: 0, entries: new Map() };
  for (const { path, record } of restored) {
    if (!isWithin(path, dep)) continue;
    const names = path.slice(dep === "" ? 0 : dep.length + 1).split("/");
    let dir = tree;
    for (const name of names.slice(0, -1)) {
      let next = dir.entries!.get(name);
      if (!next || next.type !== "dir") {
        next = { type: "dir", digest: "", size: 0, nfiles: 0, entries: new Map() };
        dir.entries!.set(name, next);
      }
      dir = next;
    }
    const leaf: Node = isDirDigest(record)
      ? { type: "dir", digest: record.digest, size: record.size, nfiles: record.nfiles! }
      : { type: "file", digest: record.digest, size: record.size, nfiles: 1 };
    dir.entries!.set(names[names.length - 1], leaf);
  }
  const top = await rehash(tree);
  return { digest: top.digest, size: top.size, nfiles: top.nfiles };
}

function toNode(
  t: {
    type: "file" | "dir";
    digest: string;
    size: number;
    nfiles?: number;
    entries?: ReadonlyMap<string, unknown>;
  },
): Node {
  if (t.type === "file") return { type: "file", digest: t.digest, size: t.size, nfiles: 1 };
  const entries = new Map<string, Node>();
  for (const [name, child] of t.entries!) entries.set(name, toNode(child as Parameters<typeof toNode>[0]));
  return { type: "dir", digest: t.digest, size: t.size, nfiles: t.nfiles ?? 0, entries };
}

/** Recompute the digests of every directory whose entries are known (restored leaves keep theirs). */
async function rehash(node: Node): Promise<Node> {
  if (node.type === "file" || !node.entries) return node;
  let size = 0, nfiles = 0;
  for (const [name, child] of node.entries) {
    const c = await rehash(child);
    node.entries.set(name, c);
    size += c.size;
    nfiles += c.type === "dir" ? c.nfiles : 1;
  }
  return { ...node, digest: await digestBytes(dirManifest(node.entries)), size, nfiles };
}
