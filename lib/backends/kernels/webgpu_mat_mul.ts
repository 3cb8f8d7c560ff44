/**
 * `BatchMatMul` and `_FusedMatMul` on webgpu with a better choice among tfjs's own matmul programs, for two
 * kinds of product:
 * - thin products: tfjs takes its 32×32-tile program unless the product has at most 8 such tiles; a dense layer
 *   of 10 outputs at batch 512 ([512, 64]·[64, 10] and its two gradients) has 16, so it ran 16 workgroups, and
 *   0.26 ms of the cnn's 3.5 ms step at batch 512 on an H100. With up to 128 tiles and a short reduction
 *   (K < 2000) these kernels ask tfjs for its small-output program (16×8 tiles, one output a thread, the K loop
 *   in order): the cnn trained 7 % faster at batch 512 (bench/gpu/results, run 18);
 * - small outputs of long reductions (K ≥ 2000, e.g. PCA's Gram matrices of 32 or 300 samples): tfjs takes its
 *   split-K program for the smallest, which adds partial sums with atomics in no fixed order (measure-
 *   dimensionality's results on webgpu were not reproducible), and its 32×32-tile program, one workgroup a tile
 *   walking all of K, for the others (52 ms for the Gram matrix of 300 samples on an H100). `BatchMatMul` of one
 *   float32 pair with fewer than 1024 tiles runs our split-K program, summed in a fixed order
 *   (webgpu_split_k_mat_mul.ts); `_FusedMatMul` takes tfjs's small-output program, whose sums run in order.
 *
 * Other products keep tfjs's choice.
 *
 * @example
 * ```ts
 * replaceKernel("_FusedMatMul", WEBGPU_BACKEND, matMulSmallTilesWebGpu("_FusedMatMul"));
 * tf.matMul(a, b); // [512, 64]·[64, 10]: tfjs's small-output program
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { type KernelFn, requireStockKernel } from "./kernel_registry.ts";
import { WEBGPU_BACKEND } from "../webgpu/name.ts";
import type { SelectivityWebGpuBackend } from "../webgpu/backend.ts";
import { splitKMatMul } from "./webgpu_split_k_mat_mul.ts";

/** tfjs's flag that forces a matmul program, and the value of its small-output program. */
const PROGRAM_FLAG = "WEBGPU_MATMUL_PROGRAM_TYPE";
const SMALL_OUTPUT_PROGRAM = 2;

/** Most 32×32 output tiles for which the small-output program is chosen (tfjs's own limit is 8). */
const MAX_TILES = 128;
/** Reductions this long or longer: tfjs's choice, or our split-K program ({@link prefersSplitK}). */
const MAX_INNER = 2000;

/**
 * Whether a product of `batch` [m, k]·[k, n] matrices runs on tfjs's small-output program here: more than tfjs's
 * 8 tiles of 32×32 (fewer: tfjs already picks a program for small outputs), at most 128, and k < 2000.
 *
 * @example
 * prefersSmallTiles(1, 512, 10, 64); // true: 16 tiles
 * prefersSmallTiles(1, 300, 300, 12544); // false: a long reduction (PCA's Gram matrix)
 */
export function prefersSmallTiles(batch: number, m: number, n: number, k: number): boolean {
  const tiles = batch * Math.ceil(m / 32) * Math.ceil(n / 32);
  return tiles > 8 && tiles <= MAX_TILES && k < MAX_INNER;
}

/**
 * Whether tfjs 4.22 would run this product on its split-K program (atomic adds, no fixed order), by its own
 * rule: few workgroups (at most `threshold` 32×32 tiles, or twice that when m ≤ 8), more than 128 outputs, one
 * matrix, and k ≥ 2000. `threshold` is the backend's `thresholdToIncreaseWorkgroups` (8; 16 on recent Intel).
 *
 * @example
 * wouldSplitK(1, 32, 32, 12544, 8); // true: PCA's Gram matrix of 32 samples
 * wouldSplitK(1, 300, 300, 12544, 8); // false: 100 tiles take the 32×32 program
 */
export function wouldSplitK(batch: number, m: number, n: number, k: number, threshold: number): boolean {
  const tiles = batch * Math.ceil(m / 32) * Math.ceil(n / 32);
  const few = tiles <= threshold || (m <= 8 && tiles <= 2 * threshold);
  return few && batch * m * n > 128 && batch === 1 && k >= MAX_INNER;
}

/** Most 32×32 output tiles of a long reduction that our split-K program takes. */
const MAX_SPLIT_K_TILES = 1024;

/**
 * Whether a product of `batch` [m, k]·[k, n] matrices runs on our fixed-order split-K program
 * (webgpu_split_k_mat_mul.ts): one float32 pair, k ≥ 2000 and fewer than 1024 tiles of 32×32.
 *
 * @example
 * prefersSplitK(1, 300, 300, 25088, "float32"); // true: PCA's Gram matrix
 * prefersSplitK(1, 512, 10, 64, "float32"); // false: a short reduction
 */
export function prefersSplitK(batch: number, m: number, n: number, k: number, dtype: tf.DataType): boolean {
  const tiles = Math.ceil(m / 32) * Math.ceil(n / 32);
  return batch === 1 && dtype === "float32" && k >= MAX_INNER && tiles < MAX_SPLIT_K_TILES;
}

/**
 * `kernelName` (`BatchMatMul` or `_FusedMatMul`) on webgpu: tfjs's kernel, on its small-output program for thin
 * products and for those tfjs would split along k; `BatchMatMul` of a long reduction on our split-K program.
 */
export function matMulSmallTilesWebGpu(kernelName: "BatchMatMul" | "_FusedMatMul"): KernelFn {
  return (args) => {
    const stock = requireStockKernel(kernelName, WEBGPU_BACKEND);
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
    const [ra, rb] = [a.shape.length, b.shape.length];
    const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
    const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
    const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
    const batch = Math.max(
      tf.util.sizeFromShape(a.shape.slice(0, -2)),
      tf.util.sizeFromShape(b.shape.slice(0, -2)),
    );
    if (kernelName === "BatchMatMul" && prefersSplitK(batch, m, n, k, a.dtype) && b.dtype === "float32") {
      const outShape = [...Array(Math.max(ra, rb) - 2).fill(1), m, n];
      return splitKMatMul(args.backend, a, b, !!transposeA, !!transposeB, outShape);
    }
    const env = tf.env();
    const threshold = (args.backend as SelectivityWebGpuBackend).internals.thresholdToIncreaseWorkgroups;
    const smallOutput = prefersSmallTiles(batch, m, n, k) || wouldSplitK(batch, m, n, k, threshold);
    if (!smallOutput || env.getNumber(PROGRAM_FLAG) >= 0) return stock(args);
    env.set(PROGRAM_FLAG, SMALL_OUTPUT_PROGRAM);
    try {
      return stock(args);
    } finally {
      env.set(PROGRAM_FLAG, -1);
    }
  };
}
