/**
 * The wasm backend's view of its heap, for kernels that work on tensors in place: in JavaScript
 * (max_pool_grad.ts, reductions.ts) or in our SIMD module (wasm_simd.ts, wasm_batch_norm.ts, which pass heap
 * addresses).
 *
 * `makeOutput` may grow the heap, which detaches every view taken before it: take views after it.
 *
 * @example
 * ```ts
 * const b = backend as unknown as WasmHeapBackend;
 * const out = b.makeOutput([32], "float32");
 * const [src, dst] = [b.typedArrayFromHeap(x), b.typedArrayFromHeap(out)];
 * ```
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs-core";

/** The methods of tfjs-backend-wasm's `BackendWasm` these kernels use. */
export interface WasmHeapBackend {
  /** Allocates an output tensor on the heap. */
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  /** A view of a tensor's data on the heap. */
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
  /** The heap address of a tensor's data. */
  getMemoryOffset(dataId: tf.DataId): number;
  /** Frees a tensor made by `makeOutput`. */
  disposeData(dataId: tf.DataId): boolean;
}

/** A tensor's heap address, the pointer our SIMD kernels take; 0 (an unused argument) for no tensor. */
export const heapAddress = (b: WasmHeapBackend, t: tf.TensorInfo | undefined): number =>
  t ? b.getMemoryOffset(t.dataId) : 0;
