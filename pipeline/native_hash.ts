/**
 * XXH3-128 of large files through Debian's native `xxhsum -H2` (package `xxhash`), batched: files asked for in
 * the same tick go to one process, with one process per core at a time. Native XXH3 runs at ~12 GiB/s a core
 * here against ~3 for the WebAssembly build, and the digests are the same function, so this is only a faster
 * road to the same bytes: it is used when a probe shows `xxhsum` gives exactly our digest, and never for a path
 * its output format cannot carry (a newline or a backslash in the name). `PIPELINE_NATIVE_HASH=0` turns it off.
 *
 * @example
 * ```ts
 * const native = await NativeHasher.detect();
 * if (native) console.log(await native.hash("/abs/path/weights.bin")); // "3a7b…", as digestBytes would give
 * ```
 *
 * @module
 */
import { digestBytes } from "./file_digest.ts";

const PROBE_TEXT = "selectivity-robustness native hash probe\n";
const MAX_BATCH = 256;

interface Request {
  readonly path: string;
  readonly resolve: (digest: string) => void;
  readonly reject: (error: Error) => void;
}

/** Hashes files with `xxhsum -H2`, a batch of paths per process. */
export class NativeHasher {
  readonly #command: string;
  readonly #processes: number;
  #queue: Request[] = [];
  #running = 0;
  #scheduled = false;

  private constructor(command: string, processes: number) {
    this.#command = command;
    this.#processes = processes;
  }

  /**
   * A native hasher when `xxhsum` is on the PATH and hashes a probe file to exactly our digest; otherwise (or
   * with `PIPELINE_NATIVE_HASH=0`) undefined, and callers keep the WebAssembly hasher.
   */
  static async detect(
    processes = navigator.hardwareConcurrency || 2,
    command = "xxhsum",
  ): Promise<NativeHasher | undefined> {
    if (Deno.env.get("PIPELINE_NATIVE_HASH") === "0") return undefined;
    const probe = await Deno.makeTempFile({ prefix: "native-hash-probe-" });
    try {
      await Deno.writeTextFile(probe, PROBE_TEXT);
      const hasher = new NativeHasher(command, Math.max(1, processes));
      const got = await hasher.hash(probe).catch(() => undefined);
      return got === await digestBytes(PROBE_TEXT) ? hasher : undefined;
    } finally {
      await Deno.remove(probe).catch(() => {});
    }
  }

  /** Whether `path` can go through `xxhsum`'s line-per-file output unambiguously. */
  static accepts(path: string): boolean {
    return !/[\n\r\\]/.test(path);
  }

  /** The XXH3-128 digest of the file at absolute `path` (32 hex digits). */
  hash(path: string): Promise<string> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ path, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    // Let every request of this tick join the queue first, so they share processes.
    setTimeout(() => {
      this.#scheduled = false;
      this.#dispatch();
    }, 0);
  }

  #dispatch(): void {
    while (this.#queue.length > 0 && this.#running < this.#processes) {
      const free = this.#processes - this.#running;
      const take = Math.min(MAX_BATCH, Math.ceil(this.#queue.length / free));
      const batch = this.#queue.splice(0, take);
      this.#running++;
      this.#runBatch(batch).finally(() => {
        this.#running--;
        this.#dispatch();
      });
    }
  }

  async #runBatch(batch: readonly Request[]): Promise<void> {
    let output: Deno.CommandOutput;
    try {
      output = await new Deno.Command(this.#command, {
        args: ["-H2", "--", ...batch.map((r) => r.path)],
        stdout: "piped",
        stderr: "piped",
      }).output();
    } catch (e) {
      for (const r of batch) r.reject(e as Error);
      return;
    }
    const digests = new Map<string, string>();
    for (const line of new TextDecoder().decode(output.stdout).split("\n")) {
      // "<32 hex digits>  <path>"
      if (/^[0-9a-f]{32} {2}/.test(line)) digests.set(line.slice(34), line.slice(0, 32));
    }
    const stderr = new TextDecoder().decode(output.stderr).trim();
    for (const r of batch) {
      const digest = digests.get(r.path);
      if (digest) r.resolve(digest);
      else r.reject(new Error(`${this.#command} could not hash ${r.path}${stderr ? `: ${stderr}` : ""}`));
    }
  }
}
