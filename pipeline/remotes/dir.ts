/**
 * A remote that is a plain directory: a shared or mounted filesystem. Uploads are copied to a temporary name
 * beside the target and renamed, so readers never see a partial object.
 *
 * @module
 */
import { dirname, isAbsolute, resolve } from "node:path";
import type { RemoteConfig } from "../config.ts";
import { hashFileStreaming } from "../file_digest.ts";
import { type Remote, RemoteError } from "./remote.ts";

/**
 * A directory remote.
 *
 * @example
 * ```ts
 * const remote = DirRemote.open({ name: "share", url: "/mnt/share/pipeline" }, "/proj");
 * await remote.upload("/proj/.pipeline/cache/objects/ab/cd", "objects/ab/cd", 12);
 * ```
 */
export class DirRemote implements Remote {
  readonly url: string;
  readonly #dir: string;
  readonly #made = new Set<string>();

  private constructor(dir: string) {
    this.#dir = dir;
    this.url = dir;
  }

  /** Open the directory remote of `config`; a relative path is taken from the project root. */
  static open(config: RemoteConfig, root: string): DirRemote {
    const path = config.url.startsWith("file://") ? new URL(config.url).pathname : config.url;
    return new DirRemote(isAbsolute(path) ? path : resolve(root, path));
  }

  async list(prefix: string): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const walk = async (rel: string) => {
      let entries: Deno.DirEntry[];
      try {
        entries = await Array.fromAsync(Deno.readDir(`${this.#dir}/${rel}`));
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) return;
        throw new RemoteError(`remote ${this.url}: cannot list ${rel}: ${(e as Error).message}`);
      }
      await Promise.all(entries.map(async (e) => {
        const child = `${rel}${e.name}`;
        if (e.isDirectory) await walk(`${child}/`);
        else if (e.isFile && !e.name.endsWith(".tmp")) {
          out.set(child, (await Deno.stat(`${this.#dir}/${child}`).catch(() => ({ size: -1 }))).size);
        }
      }));
    };
    await walk(prefix);
    return out;
  }

  async upload(path: string, key: string, digest: string): Promise<void> {
    const target = `${this.#dir}/${key}`;
    const parent = dirname(target);
    if (!this.#made.has(parent)) {
      await Deno.mkdir(parent, { recursive: true }).catch((e) => {
        throw new RemoteError(`remote ${this.url}: cannot create ${parent}: ${e.message}`);
      });
      this.#made.add(parent);
    }
    const tmp = `${target}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
    let arrived: string;
    try {
      await Deno.copyFile(path, tmp);
      arrived = await hashFileStreaming(tmp);
      if (arrived === digest) await Deno.rename(tmp, target);
    } catch (e) {
      await Deno.remove(tmp).catch(() => {});
      throw new RemoteError(`remote ${this.url}: cannot write ${key}: ${(e as Error).message}`);
    }
    if (arrived !== digest) {
      await Deno.remove(tmp).catch(() => {});
      throw new RemoteError(`remote ${this.url}: ${key} arrived damaged (digest ${arrived}); push again`);
    }
  }

  async download(key: string, path: string): Promise<void> {
    try {
      await Deno.copyFile(`${this.#dir}/${key}`, path);
    } catch (e) {
      throw new RemoteError(`remote ${this.url}: cannot read ${key}: ${(e as Error).message}`);
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
