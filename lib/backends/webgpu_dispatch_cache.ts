/**
 * Cheaper dispatches for tfjs-backend-webgpu 4.22: uniform buffers cached by content and bind groups cached by
 * (pipeline, buffers).
 *
 * For every kernel the stock `recordAndSubmit` packs the uniforms (NaN, ∞, each buffer's shape and strides,
 * the output size, the program's own uniforms) into a new pooled buffer, uploads them with
 * `queue.writeBuffer`, and creates a new bind group; on the H200 these two calls are about a third of the CPU
 * time per dispatch. A training step repeats the same shapes every step, so the uniforms repeat too, and the
 * buffer pool hands the same buffers to the same tensors step after step. This patch replaces the backend
 * instance's `recordAndSubmit` with one that
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

/**
 * The tfjs version whose webgpu backend internals this patch was written against (the package exports no
 * version of its own; deno.json pins it together with tfjs-core, whose version is checked).
 */
export const DISPATCH_CACHE_TFJS_VERSION = "4.22.0";

/** Counters of a patched backend (cumulative since {@link useDispatchCache}). */
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
}

/** Receives every dispatch of a patched backend while installed with {@link setDispatchRecorder}. */
export interface DispatchRecorder {
  /** A dispatch through the cached path, after it was encoded. */
  dispatch(d: RecordedDispatch): void;
  /** A dispatch the cached path could not take (profiling, pixel programs, textures), before it runs. */
  stock(reason: string): void;
}

/** Cache bounds of {@link useDispatchCache}. */
export interface DispatchCacheOptions {
  /** Distinct uniform contents kept (default 4096). */
  maxUniforms?: number;
  /** Bind groups kept (default 16384). */
  maxBindGroups?: number;
}

interface UniformField {
  type: "float32" | "int32" | "uint32";
  data: number[];
}

interface Program {
  pipeline: GPUComputePipeline | Promise<GPUComputePipeline>;
  pixelsOpType?: number | null;
  size?: boolean;
  outputShape: number[];
  outputComponent?: number;
  dispatch: [number, number, number];
}

interface TensorRef {
  dataId: object;
  shape: number[];
}

interface BufferManager {
  freeBuffers: Map<string, GPUBuffer[]>;
  acquireBuffer(size: number, usage: number, mappedAtCreation?: boolean, reuse?: boolean): GPUBuffer;
  releaseBuffer(buffer: GPUBuffer, reuse?: boolean): void;
  dispose(): void;
}

/** The internals of tfjs-backend-webgpu 4.22's `WebGPUBackend` that the patch uses. */
interface Internals {
  device: GPUDevice;
  tensorMap: { get(dataId: object): { resource: unknown } };
  bufferManager: BufferManager;
  commandQueueOwnedIds: WeakSet<object>;
  uniformPendingDisposal: GPUBuffer[];
  commandEncoder: GPUCommandEncoder | null;
  computePassEncoder: GPUComputePassEncoder | null;
  dispatchCountInPass: number;
  activeTimers: unknown[] | null | undefined;
  makeUniforms(fields: UniformField[]): { offset: number; size: number; buffer: GPUBuffer };
  recordAndSubmit(program: Program, output: TensorRef, inputs: TensorRef[], uniforms?: UniformField[]): void;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

const METHODS = [
  "makeUniforms",
  "recordAndSubmit",
  "ensureCommandEncoderReady",
  "endComputePassEncoder",
  "submitQueue",
] as const;
const FIELDS = [
  "device",
  "tensorMap",
  "bufferManager",
  "commandQueueOwnedIds",
  "uniformPendingDisposal",
  "computePassEncoder",
  "dispatchCountInPass",
] as const;

interface Control {
  stats: DispatchCacheStats;
  recorder: DispatchRecorder | null;
  /** Uniform buffers in use by recordings: kept when the uniform cache is emptied. */
  pinned: Map<GPUBuffer, number>;
}

const controlOf = new WeakMap<object, Control>();

function checkInternals(backend: object): Internals {
  const missing: string[] = [
    ...METHODS.filter((m) => typeof (backend as Record<string, unknown>)[m] !== "function"),
    ...FIELDS.filter((f) => !(f in backend)),
  ];
  const manager = (backend as Partial<Internals>).bufferManager;
  if (manager && !(manager.freeBuffers instanceof Map)) missing.push("bufferManager.freeBuffers");
  if (tf.version_core !== DISPATCH_CACHE_TFJS_VERSION || missing.length > 0) {
    throw new Error(
      `useDispatchCache: written for tfjs(-backend-webgpu) ${DISPATCH_CACHE_TFJS_VERSION}, found tfjs-core ` +
        `${tf.version_core}${
          missing.length ? `, a backend lacking ${missing.join(", ")}` : ""
        }; pin tfjs to ` +
        `${DISPATCH_CACHE_TFJS_VERSION} in deno.json or re-check lib/backends/webgpu_dispatch_cache.ts against ` +
        `the new backend_webgpu.js`,
    );
  }
  return backend as Internals;
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
  program: Program,
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
 * Patches `backend` (a tfjs `WebGPUBackend` of tfjs-backend-webgpu 4.22) to cache uniform buffers and bind
 * groups; idempotent. Throws with a clear message when the package version or its internals differ.
 * Returns the live counters.
 *
 * @example
 * await tf.setBackend("webgpu");
 * const stats = useDispatchCache(tf.backend());
 * // … train …; stats.bindGroupHits / stats.dispatches is the share of bind groups reused
 */
export function useDispatchCache(
  backend: tf.KernelBackend,
  opts: DispatchCacheOptions = {},
): DispatchCacheStats {
  const known = controlOf.get(backend);
  if (known) return known.stats;
  const b = checkInternals(backend);
  const maxUniforms = opts.maxUniforms ?? 4096;
  const maxBindGroups = opts.maxBindGroups ?? 16384;
  const stats: DispatchCacheStats = {
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
  const control: Control = { stats, recorder: null, pinned: new Map() };
  const uniforms = new Map<string, { buffer: GPUBuffer; size: number }>();
  const bindGroups = new Map<string, GPUBindGroup>();
  const layouts = new WeakMap<GPUComputePipeline, GPUBindGroupLayout>();
  const ids = new Ids();
  const bound = new WeakSet<GPUBuffer>();
  const clearBindGroups = () => {
    if (bindGroups.size > 0) stats.clears++;
    bindGroups.clear();
    stats.bindGroupEntries = 0;
  };
  const clearUniforms = () => {
    // Commands recorded so far may still use them: they return to the pool after the next submit. Pinned
    // ones stay (a recording replays them).
    for (const [key, u] of uniforms) {
      if (control.pinned.has(u.buffer)) continue;
      b.uniformPendingDisposal.push(u.buffer);
      uniforms.delete(key);
    }
    stats.uniformEntries = uniforms.size;
    clearBindGroups();
  };

  const stockRecord = b.recordAndSubmit.bind(b);
  const stockRelease = b.bufferManager.releaseBuffer.bind(b.bufferManager);
  const stockDispose = b.bufferManager.dispose.bind(b.bufferManager);
  const stockAcquire = b.bufferManager.acquireBuffer.bind(b.bufferManager);
  b.bufferManager.acquireBuffer = (size, usage, mappedAtCreation = false, reuse = true) => {
    const free = reuse ? b.bufferManager.freeBuffers.get(`${size}_${usage}`) : undefined;
    if (free && free.length > 1) {
      let pick = free.length - 1, pickId = ids.of(free[pick]);
      for (let i = 0; i < free.length - 1; i++) {
        const id = ids.of(free[i]);
        if (id < pickId) [pick, pickId] = [i, id];
      }
      [free[pick], free[free.length - 1]] = [free[free.length - 1], free[pick]];
    }
    return stockAcquire(size, usage, mappedAtCreation, reuse);
  };
  b.bufferManager.releaseBuffer = (buffer: GPUBuffer, reuse = true) => {
    if (!reuse && bound.has(buffer)) clearBindGroups();
    stockRelease(buffer, reuse);
  };
  b.bufferManager.dispose = () => {
    uniforms.clear();
    clearBindGroups();
    stockDispose();
  };

  const uniformBinding = (fields: UniformField[]) => {
    const key = uniformKey(fields);
    let u = uniforms.get(key);
    if (u) {
      stats.uniformHits++;
      return u;
    }
    stats.uniformMisses++;
    if (uniforms.size >= maxUniforms) clearUniforms();
    const made = b.makeUniforms(fields);
    // makeUniforms queued the buffer for release after the next submit; the cache keeps it instead.
    if (b.uniformPendingDisposal.at(-1) !== made.buffer) {
      throw new Error("useDispatchCache: makeUniforms no longer queues its buffer as in tfjs 4.22");
    }
    b.uniformPendingDisposal.pop();
    u = { buffer: made.buffer, size: made.size };
    uniforms.set(key, u);
    stats.uniformEntries = uniforms.size;
    return u;
  };

  b.recordAndSubmit = (program, output, inputs, extra) => {
    const buffers = [output, ...inputs].map((t) => b.tensorMap.get(t.dataId).resource);
    if (
      b.activeTimers != null || program.pixelsOpType != null || program.pipeline instanceof Promise ||
      !buffers.every((r) => r instanceof GPUBuffer)
    ) {
      stats.stock++;
      control.recorder?.stock(
        b.activeTimers != null
          ? "profiling (tf.profile with timestamp queries)"
          : program.pixelsOpType != null
          ? "a pixel program"
          : program.pipeline instanceof Promise
          ? "a pipeline still compiling (WEBGPU_ENGINE_COMPILE_ONLY)"
          : "a texture binding",
      );
      return stockRecord(program, output, inputs, extra);
    }
    stats.dispatches++;
    const pipeline = program.pipeline;
    const uniform = uniformBinding(uniformFields(program, inputs, output, extra));
    let key = `${ids.of(pipeline)}`;
    for (const buf of buffers) key += `,${ids.of(buf as GPUBuffer)}`;
    key += `,${ids.of(uniform.buffer)}`;
    let group = bindGroups.get(key);
    if (group) {
      stats.bindGroupHits++;
    } else {
      stats.bindGroupMisses++;
      if (bindGroups.size >= maxBindGroups) clearBindGroups();
      let layout = layouts.get(pipeline);
      if (!layout) layouts.set(pipeline, layout = pipeline.getBindGroupLayout(0));
      const entries: GPUBindGroupEntry[] = buffers.map((r, i) => ({
        binding: i,
        resource: { buffer: r as GPUBuffer },
      }));
      entries.push({
        binding: buffers.length,
        resource: { buffer: uniform.buffer, offset: 0, size: uniform.size },
      });
      group = b.device.createBindGroup({ layout, entries });
      for (const r of buffers) bound.add(r as GPUBuffer);
      bindGroups.set(key, group);
      stats.bindGroupEntries = bindGroups.size;
    }
    for (const t of inputs) b.commandQueueOwnedIds.add(t.dataId);
    b.commandQueueOwnedIds.add(output.dataId);
    b.ensureCommandEncoderReady();
    if (!b.computePassEncoder) b.computePassEncoder = b.commandEncoder!.beginComputePass({});
    b.computePassEncoder.setPipeline(pipeline);
    b.computePassEncoder.setBindGroup(0, group);
    b.computePassEncoder.dispatchWorkgroups(program.dispatch[0], program.dispatch[1], program.dispatch[2]);
    b.dispatchCountInPass++;
    control.recorder?.dispatch({
      pipeline,
      bindGroup: group,
      workgroups: [program.dispatch[0], program.dispatch[1], program.dispatch[2]],
      uniform: uniform.buffer,
      output: { dataId: output.dataId, buffer: buffers[0] as GPUBuffer },
      inputs: inputs.map((t, i) => ({ dataId: t.dataId, buffer: buffers[i + 1] as GPUBuffer })),
    });
    if (tf.env().get("WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE") as number <= b.dispatchCountInPass) {
      b.endComputePassEncoder();
      b.submitQueue();
    }
  };
  controlOf.set(backend, control);
  return stats;
}

/** The counters of a backend patched by {@link useDispatchCache}, or null. */
export function dispatchCacheStats(backend: tf.KernelBackend): DispatchCacheStats | null {
  return controlOf.get(backend)?.stats ?? null;
}

function controlFor(backend: tf.KernelBackend, caller: string): Control {
  const control = controlOf.get(backend);
  if (!control) throw new Error(`${caller}: the backend is not patched by useDispatchCache`);
  return control;
}

/**
 * Installs `recorder` (or removes it, with null) on a backend patched by {@link useDispatchCache}; returns
 * the one it replaces. Only one recorder at a time.
 *
 * @example
 * const seen: RecordedDispatch[] = [];
 * setDispatchRecorder(tf.backend(), { dispatch: (d) => seen.push(d), stock: (why) => console.warn(why) });
 * tf.dispose(tf.add(a, b));
 * setDispatchRecorder(tf.backend(), null); // seen.length === 1
 */
export function setDispatchRecorder(
  backend: tf.KernelBackend,
  recorder: DispatchRecorder | null,
): DispatchRecorder | null {
  const control = controlFor(backend, "setDispatchRecorder");
  const previous = control.recorder;
  control.recorder = recorder;
  return previous;
}

/**
 * Pins (delta +1) or unpins (−1) cached uniform buffers: a pinned buffer stays in the cache, unchanged, when
 * the cache is emptied, so recorded bind groups that name it stay valid.
 *
 * @example
 * pinUniforms(tf.backend(), recording.uniforms, +1); // … replay …
 * pinUniforms(tf.backend(), recording.uniforms, -1);
 */
export function pinUniforms(backend: tf.KernelBackend, buffers: Iterable<GPUBuffer>, delta: 1 | -1): void {
  const { pinned } = controlFor(backend, "pinUniforms");
  for (const buffer of buffers) {
    const n = (pinned.get(buffer) ?? 0) + delta;
    if (n > 0) pinned.set(buffer, n);
    else pinned.delete(buffer);
  }
}
