/**
 * A pool of hashing workers. Small files are hashed inline (a worker round trip would cost more than the hash);
 * files of 1 MiB or more go to the native `xxhsum` when it is there (native_hash.ts: the same digest, ~4× the
 * speed), else to workers, one per core, so many large files hash in parallel, and the main thread takes one too
 * whenever every worker is busy (which also hides the workers' start-up).
 *
 * @module
 */
import { hashFileStreaming } from "./file_digest.ts";
import { NativeHasher } from "./native_hash.ts";

const INLINE_BELOW = 1 << 20;

/**
 * Hashes files, in parallel where it pays. Call {@link HashPool.close} when done so the process can exit.
 *
 * @example
 * ```ts
 * const pool = new HashPool();
 * const digest = await pool.hash("/abs/path/weights.bin", 5_000_000);
 * pool.close();
 * ```
 */
export class HashPool {
  #workers: Worker[] = [];
  #idle: Worker[] = [];
  #queue: (() => void)[] = [];
  #pending = new Map<number, { resolve: (d: string) => void; reject: (e: Error) => void }>();
  #nextId = 0;
  #mainBusy = false;
  #native?: Promise<NativeHasher | undefined>;
  readonly #size: number;

  /** A pool of at most `size` workers (default: the number of cores). */
  constructor(size = navigator.hardwareConcurrency || 2) {
    this.#size = Math.max(1, size);
  }

  /** Content digest of the file at absolute `path` whose size is `size` bytes. */
  async hash(path: string, size: number): Promise<string> {
    if (size < INLINE_BELOW) return await hashFileStreaming(path);
    const native = NativeHasher.accepts(path)
      ? await (this.#native ??= NativeHasher.detect(this.#size))
      : undefined;
    // A file native hashing could not read goes the WebAssembly way, which raises the precise error.
    if (native) return await native.hash(path).catch(() => hashFileStreaming(path));
    if (this.#size === 1) return await hashFileStreaming(path);
    if (this.#idle.length === 0 && this.#workers.length >= this.#size && !this.#mainBusy) {
      // Every worker is busy, or still loading (≈0.15 s each): meanwhile the main thread hashes a file itself.
      this.#mainBusy = true;
      try {
        return await hashFileStreaming(path);
      } finally {
        this.#mainBusy = false;
      }
    }
    const worker = await this.#acquire();
    try {
      return await new Promise<string>((resolve, reject) => {
        const id = this.#nextId++;
        this.#pending.set(id, { resolve, reject });
        worker.postMessage({ id, path });
      });
    } finally {
      this.#release(worker);
    }
  }

  /** Stop every worker. */
  close(): void {
    for (const w of this.#workers) w.terminate();
    this.#workers = [];
    this.#idle = [];
  }

  async #acquire(): Promise<Worker> {
    const idle = this.#idle.pop();
    if (idle) return idle;
    if (this.#workers.length < this.#size) {
      const worker = new Worker(new URL("./hash_worker.ts", import.meta.url).href, { type: "module" });
      worker.onmessage = (e: MessageEvent<{ id: number; digest?: string; error?: string }>) => {
        const p = this.#pending.get(e.data.id);
        this.#pending.delete(e.data.id);
        if (e.data.error !== undefined) p?.reject(new Error(e.data.error));
        else p?.resolve(e.data.digest!);
      };
      this.#workers.push(worker);
      return worker;
    }
    await new Promise<void>((resolve) => this.#queue.push(resolve));
    return this.#acquire();
  }

  #release(worker: Worker): void {
    this.#idle.push(worker);
    this.#queue.shift()?.();
  }
}
