/**
 * Catches compute pipelines the device rejected. A WGSL program the device refuses (a syntax error, a reserved
 * word as a name, a limit exceeded) does not throw: WebGPU hands back an invalid pipeline, every dispatch of it
 * computes nothing, and a later read returns whatever its reused output buffer last held — a stale result that
 * looks plausible. `PipelineChecks` validates each new pipeline once, inside a validation error scope (asking an
 * invalid pipeline for its bind group layout is itself a validation error), and {@link PipelineChecks.assertValid}
 * throws {@link RejectedShaderError} before any read that could return such a result.
 *
 * @example
 * ```ts
 * const checks = new PipelineChecks(device, () => errorLog.messages);
 * checks.watch(program.pipeline, program.shaderKey); // after each dispatch; new pipelines only cost a check
 * await checks.assertValid(); // before reading results back
 * ```
 *
 * @module
 */

/** A program the device rejected: its shader key and the validation error's message. */
export interface RejectedProgram {
  key: string;
  reason: string;
}

/** Programs whose pipelines the device rejected; their dispatches computed nothing. */
export class RejectedShaderError extends Error {
  constructor(readonly rejected: readonly RejectedProgram[], deviceMessages: string[]) {
    const programs = rejected.map((r) => `'${r.key}'`).join(", ");
    const reasons = rejected.map((r) => r.reason).join("; ");
    const said = deviceMessages.length > 0
      ? ` The device said: ${deviceMessages.map((m) => `"${m}"`).join(", ")}.`
      : "";
    super(
      `WebGPU rejected the program(s) ${programs} (${reasons}), so their dispatches computed nothing and ` +
        `results read after them would be stale.${said} This is a bug in the program's WGSL: print its source ` +
        "with tf.env().set('WEBGPU_PRINT_SHADER', '<shader key>') and fix it.",
    );
    this.name = "RejectedShaderError";
  }
}

/** See the module doc. */
export class PipelineChecks {
  readonly #device: GPUDevice;
  readonly #deviceMessages: () => string[];
  readonly #seen = new WeakSet<GPUComputePipeline>();
  #pending: Promise<RejectedProgram | null>[] = [];
  readonly #rejected: RejectedProgram[] = [];

  /** `deviceMessages` gives the device's uncaptured error messages, quoted in the error (they name the cause). */
  constructor(device: GPUDevice, deviceMessages: () => string[] = () => []) {
    this.#device = device;
    this.#deviceMessages = deviceMessages;
  }

  /** Validates `pipeline` (of the program `shaderKey`) unless it was seen before; a pending compile is skipped. */
  watch(pipeline: GPUComputePipeline | Promise<GPUComputePipeline> | undefined, shaderKey: string): void {
    if (pipeline === undefined || pipeline instanceof Promise || this.#seen.has(pipeline)) return;
    this.#seen.add(pipeline);
    this.#device.pushErrorScope("validation");
    pipeline.getBindGroupLayout(0);
    this.#pending.push(
      this.#device.popErrorScope().then((error) => error && { key: shaderKey, reason: error.message }),
    );
  }

  /** Throws {@link RejectedShaderError} if any pipeline watched so far was rejected (then on every later call). */
  async assertValid(): Promise<void> {
    if (this.#pending.length > 0) {
      const pending = this.#pending;
      this.#pending = [];
      for (const rejected of await Promise.all(pending)) if (rejected) this.#rejected.push(rejected);
    }
    if (this.#rejected.length === 0) return;
    throw new RejectedShaderError([...this.#rejected], this.#deviceMessages());
  }
}
