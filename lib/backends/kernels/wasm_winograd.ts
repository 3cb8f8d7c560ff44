/**
 * `Conv2D`, `Conv2DBackpropInput` and `Conv2DBackpropFilter` for wasm by Winograd's F(4×4, 3×3) algorithm, over
 * our SIMD kernels (`winograd_filter`, `winograd_conv`, `winograd_filter_grad` in
 * lib/backends/wasm/simd/winograd.c): 36 multiplies per 4×4 output tile and channel pair instead of 144.
 *
 * The input gradient of a stride-1 3×3 convolution is itself one: dy convolved with the filter turned 180° and
 * its channel axes swapped, with 2 − pad rows and columns of padding. The filter gradient is F(3×3, 4×4), the
 * same matrices in swapped roles. The kernels cover 3×3 filters, stride 1, dilation 1, NHWC and channel counts
 * that are multiples of 4; anything else goes to the kernel given as the fallback.
 *
 * The sums differ in rounding from a direct convolution: the transforms scale inputs by up to 5 and weights by
 * 1/6, 1/12 and 1/24 before multiplying, so results agree with the cpu backend to about 3·10⁻⁶ of the largest
 * output (tests/lib/backends/kernels/wasm_winograd_test.ts), where F(2×2, 3×3) gave 5·10⁻⁷ at 3/4 of the speed.
 * Every output is computed in one fixed order, so the results are the same bits with any thread count.
 *
 * @example
 * ```ts
 * replaceKernel("Conv2D", "wasm", conv2dWinograd(requireStockKernel("Conv2D", "wasm")));
 * ```
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs-core";
import type { KernelFn } from "./kernel_registry.ts";
import { isNhwc, nhwcConvInfo } from "./conv_info.ts";
import { type PoolOf, SimdPool } from "../wasm/simd_pool.ts";
import { heapAddress as address, type WasmHeapBackend } from "./wasm_heap.ts";

/** Tiles per block of winograd_conv and winograd_filter_grad (WINO_TILES, WGRAD_TILES in simd/winograd.c). */
const WINO_TILES = 16, WGRAD_TILES = 16;
/** Points of a transformed 6×6 tile (WINO_XI in simd/winograd.c). */
const XI = 36;
/** The padded stride of one of a block's 36 planes (wino_plane in simd/winograd.c). */
const plane = (tiles: number, channels: number) => tiles * channels + 16;

/** Whether the attributes and shapes are a convolution the Winograd kernels cover. */
function covered(attrs: tf.NamedAttrMap, filterShape: number[], tensors: tf.TensorInfo[]): boolean {
  const [kh, kw, ci, co] = filterShape;
  const strides = [attrs.strides].flat() as number[];
  const dilations = [attrs.dilations ?? 1].flat() as number[];
  return isNhwc(attrs) && kh === 3 && kw === 3 && ci % 4 === 0 && co % 4 === 0 &&
    strides.every((s) => s === 1) && dilations.every((d) => d === 1) &&
    tensors.every((t) => t.dtype === "float32");
}

/**
 * Runs the two SIMD kernels: y [N,Ho,Wo,Co] from x [N,H,W,Ci] and the filter (as `winograd_filter` reads it
 * with `flip`), with `top` and `left` padding.
 */
function winograd(
  backend: tf.KernelBackend,
  poolOf: PoolOf,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  flip: boolean,
  out: [number, number, number, number],
  pad: { top: number; left: number },
): tf.TensorInfo {
  const [N, H, W, Ci] = x.shape;
  const [, Ho, Wo, Co] = out;
  const b = backend as unknown as WasmHeapBackend;
  const pool = poolOf(backend);
  const transformed = XI * Ci * Co;
  const perThread = XI * (plane(WINO_TILES, Ci) + WINO_TILES * 8);
  const work = b.makeOutput([transformed + pool.threads * perThread], "float32");
  const y = b.makeOutput(out, "float32");
  const u = address(b, work);
  pool.run("winograd_filter", [address(b, filter), u, Ci, Co, flip ? 1 : 0]);
  pool.run("winograd_conv", [
    ...[address(b, x), u, address(b, y), u + 4 * transformed],
    ...[N, H, W, Ci, Ho, Wo, Co, pad.top, pad.left],
  ]);
  b.disposeData(work.dataId);
  return y;
}

/** `Conv2D` by Winograd F(4×4, 3×3); `fallback` for what it does not cover, `poolOf` picks the threads. */
export function conv2dWinograd(fallback: KernelFn, poolOf: PoolOf = SimdPool.of): KernelFn {
  return (args) => {
    const { inputs, attrs = {}, backend } = args;
    const { x, filter } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    if (!covered(attrs, filter.shape, [x, filter])) return fallback(args);
    const c = nhwcConvInfo(x.shape, filter.shape, attrs);
    return winograd(backend, poolOf, x, filter, false, c.outShape, c.padInfo);
  };
}

/**
 * `Conv2DBackpropInput` by Winograd F(4×4, 3×3), as a convolution of dy; `fallback` and `poolOf` as in
 * {@link conv2dWinograd}.
 */
export function inputGradWinograd(fallback: KernelFn, poolOf: PoolOf = SimdPool.of): KernelFn {
  return (args) => {
    const { inputs, attrs = {}, backend } = args;
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const inputShape = attrs.inputShape as [number, number, number, number];
    if (!covered(attrs, filter.shape, [dy, filter])) return fallback(args);
    const c = nhwcConvInfo(inputShape, filter.shape, attrs);
    if (c.padInfo.top > 2 || c.padInfo.left > 2) return fallback(args);
    return winograd(backend, poolOf, dy, filter, true, inputShape, {
      top: 2 - c.padInfo.top,
      left: 2 - c.padInfo.left,
    });
  };
}

/** Fewest tiles in a chunk of the filter gradient's sums, and the most bytes all chunks' sums may take. */
const WGRAD_CHUNK_TILES = 256, WGRAD_PARTIAL_BYTES = 32 * 2 ** 20;

/**
 * Tiles per chunk of the filter gradient's sums: at least {@link WGRAD_CHUNK_TILES}, enough that the chunks'
 * sums fit {@link WGRAD_PARTIAL_BYTES}, a multiple of the block. It depends on the shapes only, never on the
 * thread count, so neither do the results.
 */
export function filterGradChunk(tiles: number, Ci: number, Co: number): number {
  const maxChunks = Math.max(1, Math.floor(WGRAD_PARTIAL_BYTES / (4 * XI * Ci * Co)));
  const chunk = Math.max(WGRAD_CHUNK_TILES, Math.ceil(tiles / maxChunks));
  return Math.ceil(chunk / WGRAD_TILES) * WGRAD_TILES;
}

/**
 * `Conv2DBackpropFilter` by Winograd F(3×3, 4×4) (the roles of F(4×4, 3×3)'s matrices swapped): dW from x and
 * dy in 36 multiplies per 4×4 tile of dy and channel pair instead of 144. The tiles' sums are taken in chunks
 * ({@link filterGradChunk}) that threads take as they come free, then added in chunk order. `fallback` and `poolOf` as in
 * {@link conv2dWinograd}.
 */
export function filterGradWinograd(fallback: KernelFn, poolOf: PoolOf = SimdPool.of): KernelFn {
  return (args) => {
    const { inputs, attrs = {}, backend } = args;
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const filterShape = attrs.filterShape as number[];
    if (!covered(attrs, filterShape, [x, dy])) return fallback(args);
    const c = nhwcConvInfo(x.shape, filterShape, attrs);
    const [N, H, W, Ci] = x.shape;
    const [, Ho, Wo, Co] = dy.shape;
    const tiles = N * Math.ceil(Ho / 4) * Math.ceil(Wo / 4);
    const chunk = filterGradChunk(tiles, Ci, Co);
    const chunks = Math.ceil(tiles / chunk);
    const b = backend as unknown as WasmHeapBackend;
    const pool = poolOf(backend);
    const perThread = XI * (plane(WGRAD_TILES, Ci) + plane(WGRAD_TILES, Co));
    const partials = chunks * XI * Ci * Co;
    const work = b.makeOutput([partials + pool.threads * perThread], "float32");
    const dw = b.makeOutput(filterShape, "float32");
    const sums = address(b, work);
    pool.run("winograd_filter_grad", [
      ...[address(b, x), address(b, dy), sums, sums + 4 * partials],
      ...[N, H, W, Ci, Ho, Wo, Co, c.padInfo.top, c.padInfo.left, chunk],
    ]);
    pool.run("winograd_filter_grad_finish", [sums, address(b, dw), chunks, Ci, Co]);
    b.disposeData(work.dataId);
    return dw;
  };
}
