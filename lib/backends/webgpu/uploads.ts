/**
 * CPU→GPU uploads through `queue.writeBuffer` for tfjs-backend-webgpu 4.22.
 *
 * The stock `uploadToGPU` takes a storage buffer from the pool and, when the pooled buffer is not mapped,
 * creates a new mapped staging buffer for every upload (never pooled, destroyed at the next submit) and
 * records a copy. Every scalar a training step makes on the CPU (learning rate, epsilons, loss scale, …) pays
 * for a buffer creation and destruction that way. `queue.writeBuffer` lets the WebGPU implementation stage
 * the bytes itself. It is ordered before the commands still being recorded, which is safe: the backend only
 * returns a buffer to its pool once no unsubmitted command uses it, and `uniforms` already use the same call.
 */
import type * as tf from "@tensorflow/tfjs-core";
import type { WebGpuInternals } from "./internals.ts";

function asWords(values: tf.backend_util.BackendValues, dtype: tf.DataType): Float32Array | Int32Array {
  const numbers = values as ArrayLike<number>;
  if (dtype === "float32") return values instanceof Float32Array ? values : Float32Array.from(numbers);
  return values instanceof Int32Array ? values : Int32Array.from(numbers);
}

/**
 * Uploads the CPU values of `dataId` with `queue.writeBuffer` into a pooled storage buffer; returns false,
 * changing nothing, when the stock upload must do it (already on the GPU, no values, another dtype, empty).
 *
 * @example
 * if (!writeBufferUpload(internals, dataId)) stockUploadToGPU(dataId);
 */
export function writeBufferUpload(b: WebGpuInternals, dataId: object): boolean {
  const d = b.tensorMap.get(dataId);
  if (!d || d.resource != null || d.values == null || !["float32", "int32", "bool"].includes(d.dtype)) {
    return false;
  }
  const words = asWords(d.values, d.dtype);
  if (words.byteLength === 0) return false;
  const buffer = b.bufferManager.acquireBuffer(
    words.byteLength,
    GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  );
  b.queue.writeBuffer(buffer, 0, words.buffer as ArrayBuffer, words.byteOffset, words.byteLength);
  d.values = null;
  d.resource = buffer;
  return true;
}
