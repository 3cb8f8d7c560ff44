/**
 * Cheaper dispatches for tfjs-backend-webgpu 4.22: uniform buffers cached by content and bind groups cached by
 * (pipeline, buffers).
 *
 * For every kernel the stock `recordAndSubmit` packs the uniforms (NaN, ∞, each buffer's shape and strides,
 * the output size, the program's own uniforms) into a new pooled buffer, uploads them with
 * `queue.writeBuffer`, and creates a new bind group; on the H200 these two calls are about a third of the CPU
 * time per dispatch. A training step repeats the same shapes every step, so the uniforms repeat too, and the
 * buffer pool hands the same buffers to the same tensors step after step. Our backend (backend.ts), with the
 * cache on, records through {@link DispatchCache.record}, which
 *
 * - keeps one uniform buffer per distinct uniform content (written once, never rewritten: a buffer in the
 *   cache is always current for every command that uses it), and
 * - reuses the bind group made earlier for the same pipeline, output/input buffers and uniform buffer (a bind
 *   group only names resources, so it stays valid while they live; the cache is cleared when the backend's
 *   buffer manager destroys a buffer that some cached bind group names), and
 * - makes the buffer pool hand out the oldest free buffer of the requested size (lowest id) instead of the
 *   last one returned, so which buffer a tensor gets depends only on which buffers are free, not on the order
 *   they came back in: the same step then gets the same buffers and hits the same bind groups.
 *
 * Both caches are bounded; on overflow they are emptied (cached uniform buffers go back to the pool after the
 * next submit, as stock uniforms do). Profiled dispatches (`tf.profile` with timestamp queries) and pixel
 * programs take the stock path. The recording itself (compute pass, deferred submit every
 * `WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE` dispatches, `commandQueueOwnedIds`) is the stock behaviour.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import {
  freeBuffersOf,
  type ProgramInternals,
  type TensorRef,
  type UniformField,
  type WebGpuInternals,
} from "./internals.ts";

/** Counters of a {@link DispatchCache} (cumulative since it was made). */
export interface DispatchCacheStats {
  /** Dispatches through the cached path. */
  dispatches: number;
  /** Dispatches handed to the stock path (profiling, pixel programs, texture bindings). */
  stock: number;
  uniformHits: number;
  uniformMisses: number;
  bindGroupHits: number;
  bindGroupMisses: number;
  /** Times a cache was emptied (overflow or a destroyed buffer). */
  clears: number;
  /** Entries now held. */
  uniformEntries: number;
  bindGroupEntries: number;
}

/** One dispatch as recorded by the cached path: enough to encode it again without tfjs. */
export interface RecordedDispatch {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: [number, number, number];
  /** The uniform buffer the bind group names (cached by content, never rewritten). */
  uniform: GPUBuffer;
  output: { dataId: object; buffer: GPUBuffer };
  inputs: { dataId: object; buffer: GPUBuffer }[];
  /** How many of the first `inputs` the dispatch writes too (a whole program's in-place updates; else 0). */
  inputsWritten: number;
}

/** Receives every dispatch while set as {@link DispatchCache.recorder}. */
export interface DispatchRecorder {
  /** A dispatch through the cached path, after it was encoded. */
  dispatch(d: RecordedDispatch): void;
  /** A dispatch the cached path could not take (profiling, pixel programs, textures), before it runs. */
  stock(reason: string): void;
}

/** Cache bounds of a {@link DispatchCache}. */
export interface DispatchCacheOptions {
  /** Distinct uniform contents kept (default 4096). */
  maxUniforms?: number;
  /** Bind groups kept (default 16384). */
  maxBindGroups?: number;
}

/** Identity numbers for objects (pipelines, buffers), for cache keys. */
class Ids {
  #ids = new WeakMap<object, number>();
  #next = 1;
  of(o: object): number {
    let id = this.#ids.get(o);
    if (id === undefined) this.#ids.set(o, id = this.#next++);
    return id;
  }
  has(o: object): boolean {
    return this.#ids.has(o);
  }
}

/** The stock uniform list: NaN, ∞, shape and strides of each input and the output, size, program uniforms. */
function uniformFields(
  program: ProgramInternals,
  inputs: TensorRef[],
  output: TensorRef,
  extra: UniformField[] | undefined,
): UniformField[] {
  const fields: UniformField[] = [{ type: "float32", data: [NaN] }, { type: "float32", data: [Infinity] }];
  for (const t of [...inputs, output]) {
    fields.push({ type: "int32", data: t.shape }, { type: "int32", data: tf.util.computeStrides(t.shape) });
  }
  if (program.size) {
    const size = tf.util.sizeFromShape(program.outputShape);
    fields.push({ type: "int32", data: [program.outputComponent ? size / program.outputComponent : size] });
  }
  return extra ? fields.concat(extra) : fields;
}

/** A string that differs whenever the uniform bytes differ (−0 kept apart from 0 for floats). */
function uniformKey(fields: UniformField[]): string {
  let key = "";
  for (const f of fields) {
    key += f.type[0];
    for (const v of f.data) key += (v === 0 && 1 / v < 0 ? "-0" : v) + ",";
    key += ";";
  }
  return key;
}

/**
 * The uniform-buffer and bind-group caches of one backend, and the buffer-pool order they rely on. The backend
 * calls {@link record} for every dispatch and forwards its buffer pool's events ({@link orderFree},
 * {@link released}, {@link disposed}).
 *
 * @example
 * const cache = new DispatchCache(internals);
 * cache.record(program, output, inputs, uniforms, stockRecordAndSubmit);
 * cache.stats.bindGroupHits / cache.stats.dispatches; // the share of bind groups reused
 */
export class DispatchCache {
  /** Live counters. */
  readonly stats: DispatchCacheStats = {
    dispatches: 0,
    stock: 0,
    uniformHits: 0,
    uniformMisses: 0,
    bindGroupHits: 0,
    bindGroupMisses: 0,
    clears: 0,
    uniformEntries: 0,
    bindGroupEntries: 0,
  };
  /** Receives every dispatch (step-graph capture); one at a time. */
  recorder: DispatchRecorder | null = null;
  /** Uniform buffers in use by recordings: kept when the uniform cache is emptied. */
  readonly #pinned = new Map<GPUBuffer, number>();
  readonly #b: WebGpuInternals;
  readonly #maxUniforms: number;
  readonly #maxBindGroups: number;
  readonly #uniforms = new Map<string, { buffer: GPUBuffer; size: number }>();
  readonly #bindGroups = new Map<string, GPUBindGroup>();
  readonly #layouts = new WeakMap<GPUComputePipeline, GPUBindGroupLayout>();
  readonly #ids = new Ids();
  readonly #bound = new WeakSet<GPUBuffer>();

  constructor(backend: WebGpuInternals, opts: DispatchCacheOptions = {}) {
    this.#b = backend;
    this.#maxUniforms = opts.maxUniforms ?? 4096;
    this.#maxBindGroups = opts.maxBindGroups ?? 16384;
  }

  /**
   * Before the pool hands out a buffer: puts the oldest free buffer of that size (lowest id) where the pool
   * takes from, so which buffer a tensor gets depends only on which buffers are free.
   */
  orderFree(size: number, usage: number, reuse: boolean): void {
    const free = reuse ? freeBuffersOf(this.#b.bufferManager, size, usage) : undefined;
    if (!free || free.length <= 1) return;
    let pick = free.length - 1, pickId = this.#ids.of(free[pick]);
    for (let i = 0; i < free.length - 1; i++) {
      const id = this.#ids.of(free[i]);
      if (id < pickId) [pick, pickId] = [i, id];
    }
    [free[pick], free[free.length - 1]] = [free[free.length - 1], free[pick]];
  }

  /** Before the pool releases a buffer: a destroyed buffer invalidates the bind groups naming it. */
  released(buffer: GPUBuffer, reuse: boolean): void {
    if (!reuse && this.#bound.has(buffer)) this.#clearBindGroups();
  }

  /** Before the pool is disposed. */
  disposed(): void {
    this.#uniforms.clear();
    this.#clearBindGroups();
  }

  /**
   * Pins (delta +1) or unpins (−1) cached uniform buffers: a pinned buffer stays in the cache, unchanged, when
   * the cache is emptied, so recorded bind groups that name it stay valid.
   */
  pin(buffers: Iterable<GPUBuffer>, delta: 1 | -1): void {
    for (const buffer of buffers) {
      const n = (this.#pinned.get(buffer) ?? 0) + delta;
      if (n > 0) this.#pinned.set(buffer, n);
      else this.#pinned.delete(buffer);
    }
  }

  #clearBindGroups(): void {
    if (this.#bindGroups.size > 0) this.stats.clears++;
    this.#bindGroups.clear();
    this.stats.bindGroupEntries = 0;
  }

  #clearUniforms(): void {
    // Commands recorded so far may still use them: they return to the pool after the next submit. Pinned
    // ones stay (a recording replays them).
    for (const [key, u] of this.#uniforms) {
      if (this.#pinned.has(u.buffer)) continue;
      this.#b.uniformPendingDisposal.push(u.buffer);
      this.#uniforms.delete(key);
    }
    this.stats.uniformEntries = this.#uniforms.size;
    this.#clearBindGroups();
  }

  #uniformBinding(fields: UniformField[]): { buffer: GPUBuffer; size: number } {
    const key = uniformKey(fields);
    let u = this.#uniforms.get(key);
    if (u) {
      this.stats.uniformHits++;
      return u;
    }
    this.stats.uniformMisses++;
    if (this.#uniforms.size >= this.#maxUniforms) this.#clearUniforms();
    const made = this.#b.makeUniforms(fields);
    // makeUniforms queued the buffer for release after the next submit; the cache keeps it instead.
    if (this.#b.uniformPendingDisposal.at(-1) !== made.buffer) {
      throw new Error("DispatchCache: makeUniforms no longer queues its buffer as in tfjs 4.22");
    }
    this.#b.uniformPendingDisposal.pop();
    u = { buffer: made.buffer, size: made.size };
    this.#uniforms.set(key, u);
    this.stats.uniformEntries = this.#uniforms.size;
    return u;
  }

  /**
   * Records one dispatch through the caches, or through `stock` (tfjs's own `recordAndSubmit`) when it cannot
   * (profiling, pixel programs, a pipeline still compiling, texture bindings).
   */
  record(
    program: ProgramInternals,
    output: TensorRef,
    inputs: TensorRef[],
    extra: UniformField[] | undefined,
    stock: (p: ProgramInternals, o: TensorRef, i: TensorRef[], u?: UniformField[]) => void,
  ): void {
    const b = this.#b, stats = this.stats;
    const buffers = [output, ...inputs].map((t) => b.tensorMap.get(t.dataId)?.resource);
    if (
      b.activeTimers != null || program.pixelsOpType != null || program.pipeline instanceof Promise ||
      !buffers.every((r) => r instanceof GPUBuffer)
    ) {
      stats.stock++;
      this.recorder?.stock(
        b.activeTimers != null
          ? "profiling (tf.profile with timestamp queries)"
          : program.pixelsOpType != null
          ? "a pixel program"
          : program.pipeline instanceof Promise
          ? "a pipeline still compiling (WEBGPU_ENGINE_COMPILE_ONLY)"
          : "a texture binding",
      );
      return stock(program, output, inputs, extra);
    }
    stats.dispatches++;
    const pipeline = program.pipeline;
    const uniform = this.#uniformBinding(uniformFields(program, inputs, output, extra));
    let key = `${this.#ids.of(pipeline)}`;
    for (const buf of buffers) key += `,${this.#ids.of(buf as GPUBuffer)}`;
    key += `,${this.#ids.of(uniform.buffer)}`;
    let group = this.#bindGroups.get(key);
    if (group) {
      stats.bindGroupHits++;
    } else {
      stats.bindGroupMisses++;
      if (this.#bindGroups.size >= this.#maxBindGroups) this.#clearBindGroups();
      let layout = this.#layouts.get(pipeline);
      if (!layout) this.#layouts.set(pipeline, layout = pipeline.getBindGroupLayout(0));
      const entries: GPUBindGroupEntry[] = buffers.map((r, i) => ({
        binding: i,
        resource: { buffer: r as GPUBuffer },
      }));
      entries.push({
        binding: buffers.length,
        resource: { buffer: uniform.buffer, offset: 0, size: uniform.size },
      });
      group = b.device.createBindGroup({ layout, entries });
      for (const r of buffers) this.#bound.add(r as GPUBuffer);
      this.#bindGroups.set(key, group);
      stats.bindGroupEntries = this.#bindGroups.size;
    }
    for (const t of inputs) b.commandQueueOwnedIds.add(t.dataId);
    b.commandQueueOwnedIds.add(output.dataId);
    b.ensureCommandEncoderReady();
    if (!b.computePassEncoder) b.computePassEncoder = b.commandEncoder!.beginComputePass({});
    b.computePassEncoder.setPipeline(pipeline);
    b.computePassEncoder.setBindGroup(0, group);
    b.computePassEncoder.dispatchWorkgroups(program.dispatch[0], program.dispatch[1], program.dispatch[2]);
    b.dispatchCountInPass++;
    this.recorder?.dispatch({
      pipeline,
      bindGroup: group,
      workgroups: [program.dispatch[0], program.dispatch[1], program.dispatch[2]],
      uniform: uniform.buffer,
      output: { dataId: output.dataId, buffer: buffers[0] as GPUBuffer },
      inputs: inputs.map((t, i) => ({ dataId: t.dataId, buffer: buffers[i + 1] as GPUBuffer })),
      inputsWritten: program.inputsWritten ?? 0,
    });
    if (tf.env().get("WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE") as number <= b.dispatchCountInPass) {
      b.endComputePassEncoder();
      b.submitQueue();
    }
  }
}
