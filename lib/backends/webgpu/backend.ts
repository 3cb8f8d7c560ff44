/**
 * Our WebGPU backend: tfjs-backend-webgpu 4.22's `WebGPUBackend` with these changes (the modes among them off
 * until asked for) —
 *
 * - **uploads through `queue.writeBuffer`** (uploads.ts): no staging buffer per CPU→GPU upload;
 * - **the dispatch cache** (dispatch_cache.ts): uniform buffers cached by content, bind groups by
 *   (pipeline, buffers), and a buffer pool that hands out the oldest free buffer;
 * - **a bound on the pool's free buffers** (free_pool.ts; on from the start, 2 GiB unless changed with
 *   {@link SelectivityWebGpuBackend.limitFreePool}): tfjs keeps every freed buffer for reuse, which grew without
 *   bound under attacks whose batches shrink;
 * - **device errors in words** (device_errors.ts): a failed read-back names the device's own error messages,
 *   the process's GPU memory and what to do, not only "validation error occurred";
 * - **shader modules without unused helpers** (wgsl_prune.ts): every module is made without the functions its
 *   entry point never calls, about a third of the parsing and validation tfjs's modules cost;
 * - **rejected programs caught** (pipeline_checks.ts): each new compute pipeline is validated once, and a read
 *   after a program the device rejected throws naming it, instead of returning a stale buffer's contents;
 * - **capture** (used by step_graph.ts): while capturing, every dispatch is recorded, CPU uploads are noted,
 *   buffers released to the pool are kept for the graph, and reads from the device throw;
 * - **whole programs** (whole_program.ts): WGSL we write whole, bindings included, compiled and validated here;
 *   with {@link SelectivityWebGpuBackend.isSoleOwner} to say when a tensor's data may be updated in place.
 *
 * It is registered as {@link WEBGPU_BACKEND}, next to tfjs's untouched `"webgpu"`, with a copy of every kernel
 * tfjs registers for `"webgpu"`; `initBackend("webgpu")` (select.ts) activates it. The 4.22 internals it uses
 * are declared in internals.ts and checked once, when the backend is made.
 *
 * @example
 * await tf.setBackend(WEBGPU_BACKEND);
 * const stats = useDispatchCache(tf.backend());
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { WebGPUBackend } from "@tensorflow/tfjs-backend-webgpu";
import {
  type ProgramInternals,
  type TensorRef,
  type UniformField,
  type WebGpuInternals,
  webGpuInternals,
} from "./internals.ts";
import {
  DispatchCache,
  type DispatchCacheOptions,
  type DispatchCacheStats,
  type RecordedDispatch,
} from "./dispatch_cache.ts";
import { DeviceErrorLog } from "./device_errors.ts";
import { PipelineChecks } from "./pipeline_checks.ts";
import { FreePoolLimit, type FreePoolStats } from "./free_pool.ts";
import { writeBufferUpload } from "./uploads.ts";
import { pruneWgsl } from "./wgsl_prune.ts";
import { WEBGPU_BACKEND } from "./name.ts";

export { WEBGPU_BACKEND };

/** The default bound on bytes in free pool buffers per process (see free_pool.ts). */
export const DEFAULT_FREE_POOL_BYTES = 2 * 1024 ** 3;

/** Thrown when a step cannot be captured; says what in the step prevents it. */
export class CaptureError extends Error {
  constructor(message: string) {
    super(`step graph capture: ${message}`);
    this.name = "CaptureError";
  }
}

/** A CPU→GPU upload made during a capture (a constant of the step, replayed as captured). */
export interface CapturedUpload {
  dtype: tf.DataType;
  shape: number[];
  values: Float32Array | Int32Array | Uint8Array;
}

/** What one capture saw: see {@link SelectivityWebGpuBackend.beginCapture}. */
export interface CaptureLog {
  dispatches: RecordedDispatch[];
  /** Why the capture cannot be replayed (dispatches that took tfjs's stock path). */
  problems: string[];
  uploads: CapturedUpload[];
  /** Buffers released to the pool during the capture: the graph owns them now. */
  owned: Set<GPUBuffer>;
}

interface Capture extends CaptureLog {
  inputs: Set<object>;
}

/** See the module doc. */
export class SelectivityWebGpuBackend extends WebGPUBackend {
  /** The 4.22 internals of this instance (checked in the constructor). */
  readonly internals: WebGpuInternals;
  #cache: DispatchCache | null = null;
  #writeBufferUploads = false;
  #prunedShaders = false;
  #capture: Capture | null = null;
  readonly #freePool: FreePoolLimit;
  readonly #deviceErrors: DeviceErrorLog;
  readonly #pipelineChecks: PipelineChecks;
  readonly #wholePipelines = new Map<string, GPUComputePipeline>();
  /** How many step-graph holds each dataId has (step_graph.ts): references that are not other tensors. */
  readonly #graphHolds = new WeakMap<object, number>();

  constructor(device: GPUDevice, adapterInfo?: GPUAdapterInfo) {
    super(device, adapterInfo);
    const b = webGpuInternals(this, "SelectivityWebGpuBackend");
    this.internals = b;
    this.#deviceErrors = new DeviceErrorLog(device);
    this.#pipelineChecks = new PipelineChecks(device, () => this.#deviceErrors.messages);
    // tfjs makes its shader modules through this device: with pruning on, each loses the helpers it never
    // calls first (wgsl_prune.ts). The method is looked up on the prototype at each call, so wrappers installed
    // there later (api_counters.ts) still see every module.
    device.createShaderModule = (descriptor: GPUShaderModuleDescriptor) =>
      (Object.getPrototypeOf(device) as GPUDevice).createShaderModule.call(
        device,
        this.#prunedShaders ? { ...descriptor, code: pruneWgsl(descriptor.code) } : descriptor,
      );
    // Private in the package's declarations, so replaced on the instance rather than overridden.
    const stockRecord = b.recordAndSubmit.bind(this);
    b.recordAndSubmit = (
      program: ProgramInternals,
      output: TensorRef,
      inputs: TensorRef[],
      u?: UniformField[],
    ) =>
      this.#cache
        ? this.#cache.record(program, output, inputs, u, stockRecord)
        : stockRecord(program, output, inputs, u);
    const stockCopy = b.copyBuffer.bind(this);
    b.copyBuffer = (buffer: GPUBuffer) => {
      this.#refuseRead("copyBuffer");
      return stockCopy(buffer);
    };
    const pool = b.bufferManager;
    this.#freePool = new FreePoolLimit(
      pool,
      DEFAULT_FREE_POOL_BYTES,
      (buffer) => this.#cache?.released(buffer, false),
    );
    const stockAcquire = pool.acquireBuffer.bind(pool);
    const stockRelease = pool.releaseBuffer.bind(pool);
    const stockDispose = pool.dispose.bind(pool);
    pool.acquireBuffer = (size, usage, mappedAtCreation = false, reuse = true) => {
      this.#cache?.orderFree(size, usage, reuse);
      const buffer = stockAcquire(size, usage, mappedAtCreation, reuse);
      this.#freePool.acquired(buffer);
      return buffer;
    };
    pool.releaseBuffer = (buffer: GPUBuffer, reuse = true) => {
      if (this.#capture && reuse) {
        this.#capture.owned.add(buffer);
        return;
      }
      this.#cache?.released(buffer, reuse);
      stockRelease(buffer, reuse);
      if (reuse) this.#freePool.released(buffer);
    };
    pool.dispose = () => {
      this.#cache?.disposed();
      this.#freePool.disposed();
      stockDispose();
    };
  }

  /**
   * Bounds the bytes kept in free pool buffers (default {@link DEFAULT_FREE_POOL_BYTES}): past it, the least
   * recently freed are destroyed. Returns the live counters.
   */
  limitFreePool(bytes: number): FreePoolStats {
    this.#freePool.limit = bytes;
    return this.#freePool.stats;
  }

  /** Makes every shader module from here on without the functions it never calls (wgsl_prune.ts); idempotent. */
  usePrunedShaders(): void {
    this.#prunedShaders = true;
  }

  /** Turns on uploads through `queue.writeBuffer`; idempotent. */
  useWriteBufferUploads(): void {
    this.#writeBufferUploads = true;
  }

  /** Turns on the dispatch cache (idempotent: later options are ignored) and returns its live counters. */
  useDispatchCache(opts: DispatchCacheOptions = {}): DispatchCacheStats {
    this.#cache ??= new DispatchCache(this.internals, opts);
    return this.#cache.stats;
  }

  /** The dispatch cache's counters, or null while it is off. */
  get dispatchCacheStats(): DispatchCacheStats | null {
    return this.#cache?.stats ?? null;
  }

  /**
   * The pipeline of a whole program (whole_program.ts): compiled from `code()` the first time `key` is asked
   * for, and validated as tfjs's own pipelines are (a rejected one makes the next read throw).
   */
  wholeProgramPipeline(key: string, code: () => string): GPUComputePipeline {
    let pipeline = this.#wholePipelines.get(key);
    if (!pipeline) {
      const module = this.device.createShaderModule({ code: code() });
      pipeline = this.device.createComputePipeline({
        layout: "auto",
        compute: { module, entryPoint: "main" },
      });
      this.#wholePipelines.set(key, pipeline);
      this.#pipelineChecks.watch(pipeline, key);
    }
    return pipeline;
  }

  /** Adds (+1) or removes (−1) one step graph's hold on each of `dataIds` (step_graph.ts). */
  holdForGraph(dataIds: Iterable<object>, delta: 1 | -1): void {
    for (const d of dataIds) this.#graphHolds.set(d, (this.#graphHolds.get(d) ?? 0) + delta);
  }

  /** Step-graph holds on `dataId`: references that only graphs have, which use its buffer as scratch. */
  graphHolds(dataId: object): number {
    return this.#graphHolds.get(dataId) ?? 0;
  }

  /**
   * Whether exactly one tensor (or variable) refers to `dataId`, step graphs' holds aside: only then may a
   * program update its buffer in place without changing some other tensor's value.
   */
  isSoleOwner(dataId: object): boolean {
    return this.internals.refCount(dataId) === 1 + this.graphHolds(dataId);
  }

  /** Pins (+1) or unpins (−1) cached uniform buffers that a recording names (see {@link DispatchCache.pin}). */
  pinUniforms(buffers: Iterable<GPUBuffer>, delta: 1 | -1): void {
    this.#cache?.pin(buffers, delta);
  }

  /**
   * Enters capture mode: from now until {@link endCapture}, dispatches are recorded, uploads of CPU values
   * other than `inputs`' are noted, buffers released to the pool are kept, and reads from the device throw
   * {@link CaptureError}. Needs the dispatch cache (its path is where dispatches are recorded).
   */
  beginCapture(inputs: Iterable<object>): void {
    if (this.#capture) throw new CaptureError("another capture is in progress");
    if (!this.#cache) {
      throw new CaptureError(
        `needs the dispatch cache of the '${WEBGPU_BACKEND}' backend (useDispatchCache)`,
      );
    }
    const capture: Capture = {
      inputs: new Set(inputs),
      dispatches: [],
      problems: [],
      uploads: [],
      owned: new Set(),
    };
    this.#cache.recorder = {
      dispatch: (d) => capture.dispatches.push(d),
      stock: (why) => capture.problems.push(`a dispatch took tfjs's stock path (${why})`),
    };
    this.#capture = capture;
  }

  /** Leaves capture mode and returns what it saw; a no-op returning null outside capture mode. */
  endCapture(): CaptureLog | null {
    const capture = this.#capture;
    if (!capture) return null;
    this.#capture = null;
    if (this.#cache) this.#cache.recorder = null;
    const { inputs: _, ...log } = capture;
    return log;
  }

  override uploadToGPU(dataId: object): void {
    const capture = this.#capture;
    if (capture) {
      const data = this.internals.tensorMap.get(dataId);
      if (data && data.resource == null && data.values != null && !capture.inputs.has(dataId)) {
        const v = data.values as ArrayLike<number>;
        capture.uploads.push({
          dtype: data.dtype,
          shape: [...data.shape],
          values: data.dtype === "float32"
            ? Float32Array.from(v)
            : data.dtype === "bool"
            ? Uint8Array.from(v)
            : Int32Array.from(v),
        });
      }
    }
    if (this.#writeBufferUploads && writeBufferUpload(this.internals, dataId)) return;
    super.uploadToGPU(dataId);
  }

  override read(dataId: object): Promise<tf.backend_util.BackendValues> {
    if (this.internals.tensorMap.get(dataId)?.values == null) this.#refuseRead("read");
    return super.read(dataId);
  }

  override readSync(dataId: object): tf.backend_util.BackendValues {
    if (this.internals.tensorMap.get(dataId)?.values == null) this.#refuseRead("readSync");
    return super.readSync(dataId);
  }

  override readToGPU(dataId: object): ReturnType<WebGPUBackend["readToGPU"]> {
    this.#refuseRead("readToGPU");
    return super.readToGPU(dataId);
  }

  /** As tfjs's, and validates the program's pipeline when it is new (pipeline_checks.ts). */
  override runWebGPUProgram(...args: Parameters<WebGPUBackend["runWebGPUProgram"]>): tf.TensorInfo {
    const output = super.runWebGPUProgram(...args);
    const program = args[0] as unknown as ProgramInternals & { shaderKey: string };
    this.#pipelineChecks.watch(program.pipeline, program.shaderKey);
    return output;
  }

  /**
   * Throws `RejectedShaderError` (pipeline_checks.ts) if the device rejected any program run so far: results
   * read after it would be stale. Every read through tfjs checks this; call it before other reads of results.
   */
  assertProgramsValid(): Promise<void> {
    return this.#pipelineChecks.assertValid();
  }

  /**
   * As tfjs's, but first checks that no program was rejected, and a failure names the device's own error
   * messages and what to do (device_errors.ts).
   */
  override async getBufferData(buffer: GPUBuffer): Promise<ArrayBuffer> {
    this.#refuseRead("getBufferData");
    await this.#pipelineChecks.assertValid();
    try {
      return await super.getBufferData(buffer);
    } catch (e) {
      const pool = this.internals.bufferManager;
      throw await this.#deviceErrors.explain(e, {
        usedBytes: pool.numBytesUsed,
        freeBytes: pool.numBytesAllocated - pool.numBytesUsed,
        freeBoundBytes: this.#freePool.limit,
      });
    }
  }

  #refuseRead(method: string): void {
    if (this.#capture) {
      throw new CaptureError(`the step reads data back from the device (${method}); a captured step cannot`);
    }
  }
}

/**
 * `backend` as our backend, or a clear error: the 4.22 check's when it is no tfjs WebGPU backend at all,
 * otherwise one saying to activate {@link WEBGPU_BACKEND}.
 */
export function asSelectivityWebGpu(backend: tf.KernelBackend, caller: string): SelectivityWebGpuBackend {
  if (backend instanceof SelectivityWebGpuBackend) return backend;
  webGpuInternals(backend, caller);
  throw new Error(
    `${caller}: needs the '${WEBGPU_BACKEND}' backend (initBackend("webgpu") or tf.setBackend(WEBGPU_BACKEND)), ` +
      `got '${tf.getBackend()}'`,
  );
}

/**
 * Turns on the dispatch cache of the active-or-given backend (ours) and returns its live counters; idempotent.
 * Throws naming the tfjs version or the backend when `backend` is not ours.
 *
 * @example
 * await tf.setBackend(WEBGPU_BACKEND);
 * const stats = useDispatchCache(tf.backend());
 * // … train …; stats.bindGroupHits / stats.dispatches is the share of bind groups reused
 */
export function useDispatchCache(
  backend: tf.KernelBackend,
  opts: DispatchCacheOptions = {},
): DispatchCacheStats {
  return asSelectivityWebGpu(backend, "useDispatchCache").useDispatchCache(opts);
}

/** The dispatch cache's counters of `backend`, or null (not ours, or the cache is off). */
export function dispatchCacheStats(backend: tf.KernelBackend): DispatchCacheStats | null {
  return backend instanceof SelectivityWebGpuBackend ? backend.dispatchCacheStats : null;
}

/**
 * Makes `backend` upload CPU values with `queue.writeBuffer`; idempotent. Returns false, changing nothing, when
 * `backend` is not ours.
 *
 * @example
 * useQueueWriteUploads(tf.backend());
 */
export function useQueueWriteUploads(backend: tf.KernelBackend): boolean {
  if (!(backend instanceof SelectivityWebGpuBackend)) return false;
  backend.useWriteBufferUploads();
  return true;
}

/** Turns on pruned shader modules when `backend` is ours (see {@link SelectivityWebGpuBackend}); else false. */
export function usePrunedShaders(backend: tf.KernelBackend): boolean {
  if (!(backend instanceof SelectivityWebGpuBackend)) return false;
  backend.usePrunedShaders();
  return true;
}

/**
 * Makes a device as tfjs-backend-webgpu's own factory does (same adapter preference, features and limits), and
 * with the adapter's storage-buffer bindings per shader stage.
 */
async function makeBackend(): Promise<SelectivityWebGpuBackend> {
  const adapter = await navigator.gpu.requestAdapter({
    powerPreference: tf.env().get("WEBGPU_USE_LOW_POWER_GPU") ? "low-power" : "high-performance",
  });
  if (!adapter) throw new Error(`${WEBGPU_BACKEND}: no WebGPU adapter`);
  const requiredFeatures: GPUFeatureName[] = [];
  if (adapter.features.has("timestamp-query")) requiredFeatures.push("timestamp-query");
  if (adapter.features.has("bgra8unorm-storage")) requiredFeatures.push("bgra8unorm-storage");
  const limits = adapter.limits;
  const device = await adapter.requestDevice({
    requiredFeatures,
    requiredLimits: {
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
      // (ours: whole programs that update several variables in one dispatch bind 3 buffers per variable)
      maxStorageBuffersPerShaderStage: limits.maxStorageBuffersPerShaderStage,
    },
  });
  return new SelectivityWebGpuBackend(device, adapter.info);
}

/**
 * Registers {@link WEBGPU_BACKEND} (priority 0: never picked unless asked for) with a copy of every kernel tfjs
 * has for `"webgpu"`; idempotent, and a no-op where there is no `navigator.gpu`. Runs when this module loads.
 */
export function registerSelectivityWebGpu(): void {
  if (!("gpu" in navigator) || tf.findBackendFactory(WEBGPU_BACKEND)) return;
  for (const config of tf.getKernelsForBackend("webgpu")) {
    if (!tf.getKernel(config.kernelName, WEBGPU_BACKEND)) {
      tf.registerKernel({ ...config, backendName: WEBGPU_BACKEND });
    }
  }
  tf.registerBackend(WEBGPU_BACKEND, makeBackend, 0);
}

registerSelectivityWebGpu();
