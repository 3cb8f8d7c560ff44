/**
 * tfjs kernel functions for wasm over our own SIMD kernels (lib/backends/wasm/simd/*.c, run by
 * {@link SimdPool} on the backend's threads, in place on its heap).
 *
 * - `Conv2DBackpropFilter` (NHWC, dilation 1, a multiple of 4 output channels): every filter tap's product of
 *   x and dy summed pixel by pixel, outputs split among threads; about 3× the composed `tconv` kernel.
 * - `Conv2DBackpropInput` (NHWC, dilation 1, a multiple of 4 input channels, strided): each dx element sums only
 *   the taps that reach it, where the composed `xconv` convolves a zero-dilated dy (4× the multiplies at stride
 *   2, about 3× the time); 4 pixels × 8 channels at a time, rows split among threads. At stride 1 nothing is
 *   dilated and `xconv` (XNNPACK's convolution) scales better over threads, so it stays there.
 * - `MaxPoolGrad`: the JavaScript kernel of max_pool_grad.ts in C, the same bits.
 * - `Slice` (rank ≤ 4, 4-byte types): a threaded copy of rows, where the stock kernel copies each innermost run
 *   through a new `subarray` (8 ms for a [2048,1,16,32] slice of ResNet20's shortcut).
 * (The batch-norm kernels over the same module are in wasm_batch_norm.ts, Sum and Mean in reductions.ts.)
 *
 * Shapes the C kernels do not cover go to the kernel given as the fallback.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { KernelFn } from "./kernel_registry.ts";
import { isNhwc, nhwcConvInfo } from "./conv_info.ts";
import { poolInfo } from "./max_pool_grad.ts";
import { type PoolOf, SimdPool } from "../wasm/simd_pool.ts";
import { heapAddress as address, type WasmHeapBackend } from "./wasm_heap.ts";

/**
 * The window geometry both C kernels take after their pointers and sizes: N, H, W, C, Ho, Wo, then (after
 * `middle`) the window's height and width, strides, and top and left padding.
 */
function geometry(c: tf.backend_util.Conv2DInfo, middle: number[], window: [number, number]): number[] {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, strideHeight, strideWidth } = c;
  return [
    ...[batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, ...middle, ...window],
    ...[strideHeight, strideWidth, c.padInfo.top, c.padInfo.left],
  ];
}

/**
 * `Conv2DBackpropFilter` on our SIMD kernel; `fallback` for other layouts and channel counts. `poolOf` picks
 * the threads (default: the backend's own pool).
 */
export function filterGradSimd(fallback: KernelFn, poolOf: PoolOf = SimdPool.of): KernelFn {
  return (args) => {
    const { inputs, attrs = {}, backend } = args;
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const filterShape = attrs.filterShape as number[];
    if (!isNhwc(attrs) || filterShape[3] % 4 !== 0 || x.dtype !== "float32" || dy.dtype !== "float32") {
      return fallback(args);
    }
    const c = nhwcConvInfo(x.shape, filterShape, attrs);
    const b = backend as unknown as WasmHeapBackend;
    const out = b.makeOutput(filterShape, "float32");
    poolOf(backend).run("conv2d_filter_grad", [
      ...[x, dy, out].map((t) => address(b, t)),
      ...geometry(c, [c.outChannels], [c.filterHeight, c.filterWidth]),
    ]);
    return out;
  };
}

/**
 * `Conv2DBackpropInput` of a strided convolution on our SIMD kernel; `fallback` for stride 1, other layouts,
 * channel counts and filters wider than 16 taps; `poolOf` as in {@link filterGradSimd}.
 */
export function inputGradSimd(fallback: KernelFn, poolOf: PoolOf = SimdPool.of): KernelFn {
  return (args) => {
    const { inputs, attrs = {}, backend } = args;
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const inputShape = attrs.inputShape as number[];
    const [kh, kw, ci, co] = filter.shape;
    const dilations = [attrs.dilations ?? 1].flat() as number[];
    const strides = [attrs.strides].flat() as number[];
    if (
      !isNhwc(attrs) || ci % 4 !== 0 || kh > 16 || kw > 16 || dilations.some((d) => d !== 1) ||
      strides.every((s) => s === 1) ||
      dy.dtype !== "float32" || filter.dtype !== "float32"
    ) {
      return fallback(args);
    }
    const c = nhwcConvInfo(inputShape, filter.shape, attrs);
    const b = backend as unknown as WasmHeapBackend;
    const pool = poolOf(backend);
    const swapped = b.makeOutput([kh, kw, co, ci], "float32");
    const out = b.makeOutput(inputShape, "float32");
    pool.run("filter_swap_channels", [address(b, filter), address(b, swapped), kh * kw, ci, co]);
    pool.run("conv2d_input_grad", [
      ...[dy, swapped, out].map((t) => address(b, t)),
      ...geometry(c, [co], [kh, kw]),
    ]);
    b.disposeData(swapped.dataId);
    return out;
  };
}

/**
 * `MaxPoolGrad` on our SIMD kernel (the cpu backend's tie rule: a window's first strict maximum); `poolOf` as
 * in {@link filterGradSimd}.
 */
export const maxPoolGradSimd =
  (poolOf: PoolOf = SimdPool.of): KernelFn => ({ inputs, attrs = {}, backend }) => {
    const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
    const c = poolInfo(input, attrs);
    const b = backend as unknown as WasmHeapBackend;
    const out = b.makeOutput(input.shape, "float32");
    poolOf(backend).run("max_pool_grad", [
      ...[input, dy, out].map((t) => address(b, t)),
      ...geometry(c, [], [c.effectiveFilterHeight, c.effectiveFilterWidth]),
    ]);
    return out;
  };

/**
 * `Slice` on our SIMD kernel (a copy, so the same bits); `fallback` (the stock kernel) for rank 5 and up and for
 * types that are not 4 bytes wide; `poolOf` as in {@link filterGradSimd}.
 */
export function sliceSimd(fallback: KernelFn, poolOf: PoolOf = SimdPool.of): KernelFn {
  return (args) => {
    const { inputs, attrs = {}, backend } = args;
    const { x } = inputs as { x: tf.TensorInfo };
    if (x.shape.length > 4 || !["float32", "int32"].includes(x.dtype)) return fallback(args);
    const [begin, size] = tf.slice_util.parseSliceParams(
      x as tf.Tensor,
      attrs.begin as number[],
      attrs.size as number[],
    );
    const b = backend as unknown as WasmHeapBackend;
    const out = b.makeOutput(size, x.dtype);
    if (tf.util.sizeFromShape(size) === 0) return out;
    const lead = 4 - x.shape.length;
    const pad = (v: number[], fill: number) => [...Array(lead).fill(fill), ...v];
    const [, d1, d2, d3] = pad(x.shape, 1);
    poolOf(backend).run("slice4", [
      ...[x, out].map((t) => address(b, t)),
      ...[d1, d2, d3, ...pad(begin, 0), ...pad(size, 1)],
    ]);
    return out;
  };
}
