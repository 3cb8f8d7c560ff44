/**
 * Why a WebGPU read-back failed, in words a user can act on. When the device rejects a command (a buffer it
 * could not allocate, one past its limits), WebGPU reports the reason only as an `uncapturederror` event, later,
 * and the next read-back fails with a bare "validation error occurred" (Deno's `mapAsync`). That was all a
 * failed stage printed on the H100, where the real cause was an exhausted GPU. `DeviceErrorLog` keeps the
 * device's first error messages; {@link DeviceErrorLog.explain} turns a failed read-back into an error that
 * names them, the process's GPU memory, and what to do.
 *
 * @example
 * ```ts
 * const log = new DeviceErrorLog(device);
 * try {
 *   await readBack();
 * } catch (e) {
 *   throw await log.explain(e, { usedBytes, freeBytes, freeBoundBytes });
 * }
 * ```
 *
 * @module
 */

/** The process's GPU memory as tfjs's buffer pool counts it. */
export interface PoolFacts {
  usedBytes: number;
  freeBytes: number;
  freeBoundBytes: number;
}

/** How many distinct device error messages are kept (the first ones name the cause; later ones follow from it). */
const KEPT = 3;

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** See the module doc. */
export class DeviceErrorLog {
  readonly #device: GPUDevice;
  readonly #messages: string[] = [];
  #count = 0;

  /** Starts listening to `device`'s uncaptured errors. */
  constructor(device: GPUDevice) {
    this.#device = device;
    device.addEventListener("uncapturederror", (event) => {
      this.#count++;
      const message = (event as GPUUncapturedErrorEvent).error.message;
      if (this.#messages.length < KEPT && !this.#messages.includes(message)) this.#messages.push(message);
    });
  }

  /** The device's first distinct error messages (at most 3), oldest first. */
  get messages(): string[] {
    return [...this.#messages];
  }

  /**
   * An error explaining `failure` (a rejected read-back) by the device's errors. The events trail the failed
   * read, so it first lets the queue drain and pending events arrive.
   */
  async explain(failure: unknown, pool: PoolFacts): Promise<Error> {
    await this.#device.queue.onSubmittedWorkDone().catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 0));
    const what = failure instanceof Error ? failure.message : String(failure);
    const causes = this.#messages.length > 0
      ? `; the device reported ${this.#count} error(s), first: ${
        this.#messages.map((m) => `"${m}"`).join(", ")
      }`
      : "";
    const limits = this.#device.limits;
    const allText = this.#messages.join(" ");
    const hint = /memory|allocat/i.test(allText)
      ? "The GPU ran out of memory: run fewer stage processes at once (repro --jobs N), or smaller batches."
      : /maximum|limit|exceed/i.test(allText)
      ? `A tensor exceeds the device's limits (max buffer ${
        mib(limits.maxBufferSize)
      }, max storage binding ` +
        `${mib(limits.maxStorageBufferBindingSize)}): use smaller batches (the stage's batch_size params).`
      : "Most often the GPU ran out of memory (run fewer stage processes at once: repro --jobs N) or a tensor " +
        "exceeds the device's limits (use smaller batches).";
    return new Error(
      `WebGPU: reading a result back from the GPU failed (${what})${causes}. This process holds ` +
        `${mib(pool.usedBytes)} in tensors and ${mib(pool.freeBytes)} in free pool buffers (bound ` +
        `${mib(pool.freeBoundBytes)}). ${hint}`,
      { cause: failure },
    );
  }
}
