/**
 * A bound on the bytes tfjs's buffer pool keeps in free buffers. tfjs 4.22 never gives a free buffer back to the
 * device: it keeps it for a later request of exactly its size and usage. Training asks for the same sizes every
 * step, so its pool stays small; an attack whose batch shrinks as samples break (lib/attacks/tracker.ts) asks
 * for new sizes at almost every step, and the pool grew by gigabytes per process until a GPU shared by many
 * stage processes ran out of memory (buffer creation then fails as a WebGPU "validation error").
 *
 * `FreePoolLimit` follows the free buffers in the order they were released; when their bytes pass the limit,
 * the least recently released are destroyed until half the limit remains. A free buffer is referenced by no
 * pending command (tfjs releases a buffer that queued work uses only after submitting that work, and WebGPU
 * keeps a destroyed buffer alive for work already submitted); `onDestroy` lets the dispatch cache drop bind
 * groups that name it.
 *
 * @example
 * ```ts
 * const limit = new FreePoolLimit(internals.bufferManager, 2 ** 31, (b) => cache?.released(b, false));
 * // from the pool's hooks:
 * limit.released(buffer); // a buffer went back to the pool for reuse (may destroy older free buffers)
 * limit.acquired(buffer); // the pool handed this buffer out again
 * ```
 *
 * @module
 */
import { type BufferManagerInternals, freeBuffersOf } from "./internals.ts";

/** Counters of a {@link FreePoolLimit}. */
export interface FreePoolStats {
  /** Bytes in free buffers now. */
  freeBytes: number;
  /** Free buffers destroyed so far, and their bytes. */
  destroyed: number;
  destroyedBytes: number;
}

/** See the module doc. */
export class FreePoolLimit {
  readonly stats: FreePoolStats = { freeBytes: 0, destroyed: 0, destroyedBytes: 0 };
  readonly #pool: BufferManagerInternals;
  readonly #onDestroy: (buffer: GPUBuffer) => void;
  /** Free buffers, least recently released first. */
  readonly #order = new Set<GPUBuffer>();
  #limit: number;

  /** Bounds `pool`'s free buffers at `limitBytes`; `onDestroy` runs before a free buffer is destroyed. */
  constructor(pool: BufferManagerInternals, limitBytes: number, onDestroy: (buffer: GPUBuffer) => void) {
    this.#pool = pool;
    this.#limit = limitBytes;
    this.#onDestroy = onDestroy;
  }

  /** The bound in bytes. */
  get limit(): number {
    return this.#limit;
  }

  /** Changes the bound; trims at once if the free buffers exceed it. */
  set limit(bytes: number) {
    this.#limit = bytes;
    if (this.stats.freeBytes > bytes) this.#trim();
  }

  /** After the pool took `buffer` back for reuse. */
  released(buffer: GPUBuffer): void {
    this.#order.add(buffer);
    this.stats.freeBytes += buffer.size;
    if (this.stats.freeBytes > this.#limit) this.#trim();
  }

  /** After the pool handed `buffer` out (a reused free buffer or a new one). */
  acquired(buffer: GPUBuffer): void {
    if (this.#order.delete(buffer)) this.stats.freeBytes -= buffer.size;
  }

  /** Before the pool is disposed (it destroys every buffer itself). */
  disposed(): void {
    this.#order.clear();
    this.stats.freeBytes = 0;
  }

  #trim(): void {
    const target = this.#limit / 2;
    for (const buffer of this.#order) {
      if (this.stats.freeBytes <= target) break;
      const free = freeBuffersOf(this.#pool, buffer.size, buffer.usage);
      const at = free ? free.indexOf(buffer) : -1;
      this.#order.delete(buffer);
      this.stats.freeBytes -= buffer.size;
      if (at < 0) continue; // tfjs dropped it: its releaseBuffer ignores releases while it has no free lists
      free!.splice(at, 1);
      this.#onDestroy(buffer);
      buffer.destroy();
      this.#pool.numFreeBuffers--;
      this.#pool.numBytesAllocated -= buffer.size;
      this.stats.destroyed++;
      this.stats.destroyedBytes += buffer.size;
    }
  }
}
