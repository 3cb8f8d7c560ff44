/**
 * Readback slots for small per-step results (a loss, a few counters) on WebGPU: commands copy each step's
 * result into its slot of one mappable buffer, and the whole buffer is read with a single `mapAsync` once
 * every slot is filled. A `mapAsync` costs about 10 ms of latency in Deno whatever its size, so reading many
 * steps at once, while the next steps fill a second buffer, keeps the GPU busy.
 *
 * @module
 */

/**
 * One mappable buffer of `slots` × `slotBytes` bytes.
 *
 * @example
 * const slots = new ReadbackSlots(device, 16, 16);
 * graph.replay(inputs, slots.sink(0)); // … up to slot 15
 * slots.startRead();
 * const values = await slots.read(); // Float32Array of 16 × 4
 */
export class ReadbackSlots {
  readonly buffer: GPUBuffer;
  readonly slots: number;
  readonly slotBytes: number;
  #pending: Promise<void> | null = null;

  constructor(device: GPUDevice, slots: number, slotBytes: number) {
    if (!(slots >= 1 && slotBytes >= 4 && slotBytes % 4 === 0)) {
      throw new Error(
        `ReadbackSlots: need ≥ 1 slot of a positive multiple of 4 bytes, got ${slots} × ${slotBytes}`,
      );
    }
    this.slots = slots;
    this.slotBytes = slotBytes;
    this.buffer = device.createBuffer({
      size: slots * slotBytes,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
  }

  /** Where a command should copy slot `k`'s bytes. */
  sink(k: number): { buffer: GPUBuffer; offset: number } {
    if (!(k >= 0 && k < this.slots)) throw new Error(`ReadbackSlots: slot ${k} of ${this.slots}`);
    if (this.#pending) throw new Error("ReadbackSlots: slots are being read; await read() first");
    return { buffer: this.buffer, offset: k * this.slotBytes };
  }

  /** Starts mapping the buffer (after every command submitted so far); no slot may be written until read. */
  startRead(): void {
    if (this.#pending) return;
    this.#pending = this.buffer.mapAsync(GPUMapMode.READ);
    // The WebGPU spec rejects a map abandoned by destroy() (dispose() after training stopped on an error):
    // that must not surface as an unhandled rejection; read() still sees it.
    this.#pending.catch(() => {});
  }

  /** Whether a read was started and not yet collected. */
  get reading(): boolean {
    return this.#pending !== null;
  }

  /** The first `n` slots (default all) as float32 values, copied; the buffer is writable again after. */
  async read(n = this.slots): Promise<Float32Array> {
    this.startRead();
    await this.#pending;
    this.#pending = null;
    const values = new Float32Array(this.buffer.getMappedRange(0, n * this.slotBytes).slice(0));
    this.buffer.unmap();
    return values;
  }

  /** Frees the buffer. */
  dispose(): void {
    this.buffer.destroy();
  }
}
