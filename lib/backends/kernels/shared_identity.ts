/**
 * `Identity` for wasm that shares its input's data (a reference count) instead of copying it, as the cpu
 * backend's Identity and wasm's own Reshape do.
 *
 * The engine clones every tensor it saves for the backward pass (`saveTensorsForBackwardMode`), and the stock
 * wasm kernel copies each one: 34 copies of 8 MB a ResNet20 step at batch 128, about a tenth of the step. No
 * kernel writes into its inputs, so the values are the same bits either way.
 *
 * @example
 * replaceKernel("Identity", "wasm", sharedIdentityWasm);
 * tf.clone(t).dataId === t.dataId; // on wasm: the engine's own id differs, the backend data is shared
 */
import type * as tf from "@tensorflow/tfjs-core";
import type { KernelFn } from "./kernel_registry.ts";

/** `Identity` by reference: the output is the input's data with one more reference. */
export const sharedIdentityWasm: KernelFn = ({ inputs, backend }) => {
  const { x } = inputs as { x: tf.TensorInfo };
  (backend as unknown as { incRef(dataId: tf.DataId): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};
