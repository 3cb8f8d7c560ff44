/**
 * Content digests of workspace paths: files by XXH3-128 of their bytes (file_digest.ts), directories as Merkle trees (a manifest
 * of each entry's name, type, digest and size, hashed), globs by the sorted list of what they match. Unchanged
 * files come from the state cache; large files are hashed in parallel.
 *
 * @module
 */
import { forEachLimited } from "./limited.ts";
import { z } from "zod";
import { canonicalJson } from "./canonical.ts";
import { PipelineError } from "./errors.ts";
import { digestBytes } from "./file_digest.ts";
import { expandGlob } from "./glob.ts";
import { HashPool } from "./hash_pool.ts";
import type { StateCache } from "./state.ts";
import { faultPoint } from "./fault.ts";

/** A file's digest. */
export interface FileNode {
  readonly type: "file";
  readonly digest: string;
  readonly size: number;
}

/** A directory's digest, with its entries (the Merkle tree). */
export interface DirNode {
  readonly type: "dir";
  readonly digest: string;
  readonly size: number;
  readonly nfiles: number;
  readonly entries: ReadonlyMap<string, TreeNode>;
}

/** A file or directory digest. */
export type TreeNode = FileNode | DirNode;

/** Names never descended into when hashing directories. */
const SKIP = new Set([".git", ".pipeline"]);

/**
 * The manifest of a directory: its entries sorted by name, as canonical JSON. Its digest is the directory's
 * digest.
 *
 * @example
 * ```ts
 * const dir = await hasher.node("outputs/data") as DirNode;
 * (await digestBytes(dirManifest(dir.entries))) === dir.digest; // true
 * ```
 */
export function dirManifest(
  entries: ReadonlyMap<string, { type: string; digest: string; size: number }>,
): string {
  const names = [...entries.keys()].sort();
  return canonicalJson({
    entries: names.map((name) => {
      const e = entries.get(name)!;
      return [name, e.type, e.digest, e.size];
    }),
  });
}

/** One entry of a directory manifest: name, type, digest, size. */
export type ManifestRow = [string, "file" | "dir", string, number];

const manifestSchema = z.object({
  entries: z.array(z.tuple([z.string().min(1), z.enum(["file", "dir"]), z.string().min(1), z.number()])),
});

/** Parse a manifest back into rows; undefined when the text is not a manifest (a damaged cache object). */
export function parseManifest(text: string): ManifestRow[] | undefined {
  try {
    const parsed = manifestSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data.entries : undefined;
  } catch {
    return undefined;
  }
}

/** The digest of a glob's expansion: each matched file's path and digest. */
export interface GlobDigest {
  readonly digest: string;
  readonly size: number;
  readonly files: Readonly<Record<string, string>>;
}

/**
 * Computes digests of root-relative paths, through the state cache.
 *
 * @example
 * ```ts
 * const hasher = new Hasher(".", state);
 * const node = await hasher.node("params.yaml");
 * hasher.close();
 * ```
 */
export class Hasher {
  readonly #root: string;
  readonly #state: StateCache;
  readonly #pool = new HashPool();

  constructor(root: string, state: StateCache) {
    this.#root = root;
    this.#state = state;
  }

  /** The digest of a file or directory, or undefined when it does not exist. */
  async node(rel: string): Promise<TreeNode | undefined> {
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(this.#abs(rel));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound && !isSymlink(this.#abs(rel))) return undefined;
      throw brokenLink(rel, e);
    }
    if (info.isFile) return { type: "file", digest: await this.#file(rel, info), size: info.size };
    return await this.#dir(rel);
  }

  /** The digest of everything a glob matches now. */
  async glob(pattern: string): Promise<GlobDigest> {
    const files: Record<string, string> = {};
    let size = 0;
    for (const path of await expandGlob(this.#root, pattern)) {
      let info: Deno.FileInfo;
      try {
        info = Deno.statSync(this.#abs(path));
      } catch (e) {
        throw brokenLink(path, e);
      }
      files[path] = await this.#file(path, info);
      size += info.size;
    }
    return { digest: await digestBytes(canonicalJson(files)), size, files };
  }

  /** Record a digest already known for a file (e.g. one just checked out of the cache). */
  remember(rel: string, digest: string): void {
    this.#state.set(rel, Deno.statSync(this.#abs(rel)), digest);
  }

  /** Stop the hashing workers. */
  close(): void {
    this.#pool.close();
  }

  /** Root-relative paths live under the root; absolute ones (external deps) are taken as they are. */
  #abs(rel: string): string {
    return rel === "" ? this.#root : rel.startsWith("/") ? rel : `${this.#root}/${rel}`;
  }

  async #file(rel: string, info: Deno.FileInfo): Promise<string> {
    const known = this.#state.get(rel, info);
    if (known) return known;
    const digest = await this.#pool.hash(this.#abs(rel), info.size);
    faultPoint("hash");
    this.#state.set(rel, info, digest);
    return digest;
  }

  async #dir(rel: string): Promise<DirNode> {
    const files: { rel: string; info: Deno.FileInfo }[] = [];
    const subdirs = new Map<string, string[]>();
    const walk = (dir: string, ancestors: ReadonlySet<string>) => {
      const children: string[] = [];
      subdirs.set(dir, children);
      for (const entry of Deno.readDirSync(this.#abs(dir))) {
        if (SKIP.has(entry.name)) continue;
        const child = dir === "" ? entry.name : `${dir}/${entry.name}`;
        let info: Deno.FileInfo;
        try {
          info = Deno.statSync(this.#abs(child));
        } catch (e) {
          throw brokenLink(child, e);
        }
        if (info.isDirectory) {
          const id = `${info.dev}:${info.ino}`;
          if (ancestors.has(id)) throw brokenLink(child, new Deno.errors.FilesystemLoop());
          children.push(entry.name);
          walk(child, new Set([...ancestors, id]));
        } else if (info.isFile) files.push({ rel: child, info });
      }
    };
    const top = Deno.statSync(this.#abs(rel));
    walk(rel, new Set([`${top.dev}:${top.ino}`]));
    const entriesOf = new Map<string, Map<string, TreeNode>>([...subdirs.keys()].map((d) => [d, new Map()]));
    await forEachLimited(files, 32, async (f) => {
      const slash = f.rel.lastIndexOf("/");
      const parent = entriesOf.get(slash < 0 ? "" : f.rel.slice(0, slash))!;
      parent.set(f.rel.slice(slash + 1), {
        type: "file",
        digest: await this.#file(f.rel, f.info),
        size: f.info.size,
      });
    });
    const build = async (dir: string): Promise<DirNode> => {
      const entries = entriesOf.get(dir)!;
      for (const name of subdirs.get(dir)!) {
        entries.set(name, await build(dir === "" ? name : `${dir}/${name}`));
      }
      let size = 0, nfiles = 0;
      for (const e of entries.values()) {
        size += e.size;
        nfiles += e.type === "dir" ? e.nfiles : 1;
      }
      return { type: "dir", digest: await digestBytes(dirManifest(entries)), size, nfiles, entries };
    };
    return await build(rel);
  }
}

function isSymlink(path: string): boolean {
  try {
    return Deno.lstatSync(path).isSymlink;
  } catch {
    return false;
  }
}

/**
 * The error for a path that cannot be followed: a symbolic link to nothing or a loop of links. Links that
 * resolve are followed (their content is what is hashed and cached); these two are refused by name, since a
 * digest of "nothing" would record a result no one can check.
 */
function brokenLink(rel: string, cause: unknown): Error {
  if (cause instanceof Deno.errors.NotFound) {
    return new PipelineError(
      `'${rel}' is a symbolic link to nothing (dangling); deps and outs may hold links only to files or ` +
        `directories that exist: remove the link, or create its target`,
    );
  }
  if (cause instanceof Deno.errors.FilesystemLoop) {
    return new PipelineError(
      `'${rel}' leads back into itself or a directory above it through a symbolic link (a loop); deps and ` +
        `outs are hashed by following links, so remove or replace the link on that path`,
    );
  }
  return cause as Error;
}
