/**
 * The internals of tfjs-backend-webgpu 4.22's `WebGPUBackend` that our backend (backend.ts) uses, declared once,
 * and the one check that they are there.
 *
 * The package's type declarations mark most of these private, so they are typed here structurally; every
 * other file of lib/backends/webgpu/ reaches them only through {@link WebGpuInternals}.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

/**
 * The tfjs version these internals were read from (tfjs-backend-webgpu exports no version of its own;
 * deno.json pins it together with tfjs-core, whose version is checked).
 */
export const TFJS_WEBGPU_VERSION = "4.22.0";

/** A program-defined uniform as `recordAndSubmit` takes it. */
export interface UniformField {
  type: "float32" | "int32" | "uint32";
  data: number[];
}

/** What `recordAndSubmit` reads from a program. */
export interface ProgramInternals {
  pipeline: GPUComputePipeline | Promise<GPUComputePipeline>;
  pixelsOpType?: number | null;
  size?: boolean;
  outputShape: number[];
  outputComponent?: number;
  dispatch: [number, number, number];
  /** Ours, not tfjs's: how many of the first inputs a whole program (whole_program.ts) writes in place. */
  inputsWritten?: number;
}

/** A tensor as `recordAndSubmit` takes it. */
export interface TensorRef {
  dataId: object;
  shape: number[];
}

/** An entry of the backend's `tensorMap`. */
export interface TensorData {
  dtype: tf.DataType;
  shape: number[];
  values: tf.backend_util.BackendValues | null;
  resource: unknown;
}

/** The backend's buffer pool. */
export interface BufferManagerInternals {
  freeBuffers: Map<string, GPUBuffer[]>;
  numFreeBuffers: number;
  numBytesAllocated: number;
  numBytesUsed: number;
  acquireBuffer(size: number, usage: number, mappedAtCreation?: boolean, reuse?: boolean): GPUBuffer;
  releaseBuffer(buffer: GPUBuffer, reuse?: boolean): void;
  dispose(): void;
}

/** The free buffers `pool` keeps for requests of `size` bytes with `usage` (4.22's key: "size_usage"). */
export function freeBuffersOf(
  pool: BufferManagerInternals,
  size: number,
  usage: number,
): GPUBuffer[] | undefined {
  return pool.freeBuffers.get(`${size}_${usage}`);
}

/** The fields and methods of a 4.22 `WebGPUBackend` we read, call or replace. */
export interface WebGpuInternals {
  device: GPUDevice;
  queue: GPUQueue;
  tensorMap: { get(dataId: object): TensorData | undefined; has(dataId: object): boolean };
  bufferManager: BufferManagerInternals;
  commandQueueOwnedIds: WeakSet<object>;
  uniformPendingDisposal: GPUBuffer[];
  commandEncoder: GPUCommandEncoder | null;
  computePassEncoder: GPUComputePassEncoder | null;
  dispatchCountInPass: number;
  activeTimers: unknown[] | null | undefined;
  makeUniforms(fields: UniformField[]): { offset: number; size: number; buffer: GPUBuffer };
  recordAndSubmit(
    program: ProgramInternals,
    output: TensorRef,
    inputs: TensorRef[],
    uniforms?: UniformField[],
  ): void;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  uploadToGPU(dataId: object): void;
  copyBuffer(buffer: GPUBuffer): unknown;
  incRef(dataId: object): void;
  refCount(dataId: object): number;
  /** tfjs's matmul program choice: products of at most this many 32×32 tiles count as few workgroups. */
  thresholdToIncreaseWorkgroups: number;
}

const METHODS = [
  "makeUniforms",
  "recordAndSubmit",
  "ensureCommandEncoderReady",
  "endComputePassEncoder",
  "submitQueue",
  "uploadToGPU",
  "copyBuffer",
  "incRef",
  "refCount",
] as const;
const FIELDS = [
  "device",
  "queue",
  "tensorMap",
  "bufferManager",
  "commandQueueOwnedIds",
  "uniformPendingDisposal",
  "computePassEncoder",
  "dispatchCountInPass",
  "thresholdToIncreaseWorkgroups",
] as const;

/**
 * Returns `backend`'s internals, or throws naming what differs (the tfjs-core version, missing members) and
 * what to do. The only version check of the WebGPU layer.
 *
 * @example
 * const internals = webGpuInternals(this, "SelectivityWebGpuBackend");
 */
export function webGpuInternals(backend: object, caller: string): WebGpuInternals {
  const record = backend as Record<string, unknown>;
  const missing: string[] = [
    ...METHODS.filter((m) => typeof record[m] !== "function"),
    ...FIELDS.filter((f) => !(f in backend)),
  ];
  const manager = (backend as Partial<WebGpuInternals>).bufferManager;
  if (manager && !(manager.freeBuffers instanceof Map)) missing.push("bufferManager.freeBuffers");
  for (const counter of ["numFreeBuffers", "numBytesAllocated", "numBytesUsed"] as const) {
    if (manager && typeof manager[counter] !== "number") missing.push(`bufferManager.${counter}`);
  }
  if (tf.version_core !== TFJS_WEBGPU_VERSION || missing.length > 0) {
    throw new Error(
      `${caller}: written for tfjs(-backend-webgpu) ${TFJS_WEBGPU_VERSION}, found tfjs-core ` +
        `${tf.version_core}${
          missing.length ? `, a backend lacking ${missing.join(", ")}` : ""
        }; pin tfjs to ` +
        `${TFJS_WEBGPU_VERSION} in deno.json or re-check lib/backends/webgpu/internals.ts against the new ` +
        `backend_webgpu.js`,
    );
  }
  return backend as WebGpuInternals;
}
