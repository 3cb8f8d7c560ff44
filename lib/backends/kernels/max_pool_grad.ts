/**
 * `MaxPoolGrad` as a JavaScript loop (NHWC, channels innermost so every access is contiguous).
 *
 * Each window routes its gradient to its first strict maximum, the tie rule of the cpu backend. The stock wasm
 * kernel is both slow and wrong: a window whose maximum is ≤ 0 gets no gradient there.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { KernelFn } from "./kernel_registry.ts";
import type { WasmHeapBackend } from "./wasm_heap.ts";

type PoolInfo = tf.backend_util.Conv2DInfo;

/** The pooling geometry of a `MaxPoolGrad` call, from its input and attrs (filterSize, strides, pad, …). */
export function poolInfo(x: tf.TensorInfo, attrs: tf.NamedAttrMap): PoolInfo {
  return tf.backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterSize as [number, number],
    attrs.strides as [number, number],
    1,
    attrs.pad as "valid",
    attrs.dimRoundingMode as "floor" | undefined,
  );
}

/**
 * Writes dx (zero-filled first) for max pooling described by `c`, given the pooled input x and dy.
 *
 * @example
 * // 1×2×2×1 input, 2×2 window: the whole gradient goes to the maximum at index 2
 * maxPoolGradInto(info, Float32Array.of(1, 2, 5, 3), Float32Array.of(7), dx); // dx = [0, 0, 7, 0]
 */
export function maxPoolGradInto(c: PoolInfo, x: Float32Array, dy: Float32Array, dx: Float32Array): void {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: Ho, outWidth: Wo } = c;
  const { strideHeight: sh, strideWidth: sw, effectiveFilterHeight: fh, effectiveFilterWidth: fw } = c;
  const { top, left } = c.padInfo;
  dx.fill(0);
  const best = new Float32Array(C);
  const arg = new Int32Array(C);
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < Ho; oh++) {
      for (let ow = 0; ow < Wo; ow++) {
        best.fill(-Infinity);
        arg.fill(-1);
        const h0 = oh * sh - top, w0 = ow * sw - left;
        for (let h = Math.max(h0, 0); h < Math.min(h0 + fh, H); h++) {
          for (let w = Math.max(w0, 0); w < Math.min(w0 + fw, W); w++) {
            const base = ((n * H + h) * W + w) * C;
            for (let ch = 0; ch < C; ch++) {
              const v = x[base + ch];
              if (v > best[ch]) {
                best[ch] = v;
                arg[ch] = base + ch;
              }
            }
          }
        }
        const o = ((n * Ho + oh) * Wo + ow) * C;
        for (let ch = 0; ch < C; ch++) if (arg[ch] >= 0) dx[arg[ch]] += dy[o + ch];
      }
    }
  }
}

/** `MaxPoolGrad` for wasm, working directly on the wasm heap. */
export const maxPoolGradWasm: KernelFn = ({ inputs, attrs = {}, backend }) => {
  const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const b = backend as unknown as WasmHeapBackend;
  const out = b.makeOutput(input.shape, "float32");
  // Views are taken after makeOutput, which may grow (and so detach) the heap.
  maxPoolGradInto(
    poolInfo(input, attrs),
    b.typedArrayFromHeap(input),
    b.typedArrayFromHeap(dy),
    b.typedArrayFromHeap(out),
  );
  return out;
};

/** `MaxPoolGrad` for the pure-JS cpu backend. */
export const maxPoolGradCpu: KernelFn = ({ inputs, attrs = {}, backend }) => {
  const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const dx = new Float32Array(tf.util.sizeFromShape(input.shape));
  const read = (t: tf.TensorInfo) => backend.readSync(t.dataId) as Float32Array;
  maxPoolGradInto(poolInfo(input, attrs), read(input), read(dy), dx);
  return (backend as unknown as { makeTensorInfo(s: number[], d: "float32", v: Float32Array): tf.TensorInfo })
    .makeTensorInfo(input.shape, "float32", dx);
};
