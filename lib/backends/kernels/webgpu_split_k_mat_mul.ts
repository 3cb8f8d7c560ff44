/**
 * A matrix product of a long reduction on webgpu, split along k with a fixed-order sum: C [M, N] = A [M, K] ·
 * B [K, N] (either input transposed) for outputs too small to fill the GPU by themselves.
 *
 * PCA's Gram matrix of 300 samples of 25,088 features is such a product: 100 output tiles of 32×32. tfjs's
 * 32×32-tile program gives each tile one workgroup that walks all of K, and on an H100 one such product took
 * 52 ms (4.5 GFLOP; 95 % of measure-dimensionality's GPU time, bench/gpu/results run 24). tfjs's own split-K
 * program adds its partial sums with atomics, in no fixed order. Here K is cut into `splits` slices of whole
 * 32-deep tiles, each workgroup computes one 32×32 block of one slice's partial product (2×2 values a thread,
 * the K loop in order, webgpu_filter_grad.ts's `accumulate2x2`), and {@link sumSlices} adds the slices in a fixed order: the
 * same bits on every run.
 *
 * @example
 * ```ts
 * const plan = planSplitK(300, 300, 25088); // 100 tiles × 11 slices of 72 tiles of k
 * const c = splitKMatMul(backend, a, b, false, true, [300, 300]); // A·Aᵀ with b = a
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { ceilDiv, runProgram, type WebGpuProgram } from "../webgpu/program.ts";
import { accumulate2x2, planSlices, sumSlices } from "./webgpu_filter_grad.ts";

/** Output block of one workgroup (TILE × TILE) and K positions staged per step. */
const TILE = 32;
/** Row stride of the staged tiles in workgroup memory: 33, so that neither load pattern hits one bank. */
const STRIDE = TILE + 1;

/** How a split-K product is cut into workgroups. */
export interface SplitKPlan {
  m: number;
  n: number;
  k: number;
  /** 32×32 output tiles along M and N. */
  tilesM: number;
  tilesN: number;
  /** K slices, each `kTilesPerSplit` steps of 32 long (the last may be shorter). */
  splits: number;
  kTilesPerSplit: number;
}

/**
 * Chooses the number of K slices: about `targetWorkgroups` workgroups in all, each slice at least `minKTiles`
 * steps of 32 long, so that the partial sums stay a small part of the work.
 *
 * @example
 * planSplitK(300, 300, 25088); // 10×10 tiles, 784 steps of k: 11 slices of 72 steps
 * planSplitK(32, 32, 4096); // 1 tile, 128 steps: 16 slices of 8
 */
export function planSplitK(
  m: number,
  n: number,
  k: number,
  targetWorkgroups = 1024,
  minKTiles = 8,
): SplitKPlan {
  const tilesM = ceilDiv(m, TILE), tilesN = ceilDiv(n, TILE);
  return {
    m,
    n,
    k,
    tilesM,
    tilesN,
    ...planSlices(ceilDiv(k, TILE), tilesM * tilesN, targetWorkgroups, minKTiles),
  };
}

/**
 * The WGSL that stages one 32×32 tile of `name` (M×K for A, K×N for B) in `tile`, as `tile[kk·33 + lane]`.
 * Adjacent threads read adjacent addresses: along k where the matrix is stored k-contiguous, else along the
 * lane (row of A, column of B).
 */
function stageTile(
  name: string,
  tile: string,
  kContiguous: boolean,
  lane0: string,
  laneCount: string,
): string {
  const [laneOf, kkOf] = kContiguous ? ["li / 32 + 8 * e", "li % 32"] : ["li % 32", "li / 32 + 8 * e"];
  const address = kContiguous ? `lane * uniforms.k + kIdx` : `kIdx * ${laneCount} + lane`;
  return `
          for (var e = 0; e < 4; e++) {
            let lane = ${lane0} + ${laneOf};
            let kk = ${kkOf};
            let kIdx = k0 + kk;
            var v = 0.0;
            if (lane < ${laneCount} && kIdx < kEnd) { v = ${name}[${address}]; }
            ${tile}[kk * ${STRIDE} + lane - ${lane0}] = v;
          }`;
}

/** Partial products per K slice: output [splits, M, N]; a workgroup of 256 threads computes a 32×32 block. */
class SplitKMatMulProgram implements WebGpuProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [2], y: [1], z: [0] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [256, 1, 1];
  variableNames = ["matA", "matB"];
  uniforms = "m : i32, n : i32, k : i32, kTilesPerSplit : i32, ";

  constructor(plan: SplitKPlan, readonly transposeA: boolean, readonly transposeB: boolean) {
    this.outputShape = [plan.splits, plan.m, plan.n];
    this.dispatch = [plan.tilesN, plan.tilesM, plan.splits];
    this.shaderKey = `ourMatMulSplitKFixedOrder_${transposeA}_${transposeB}`;
  }

  getUserCode(): string {
    // A [M, K] is k-contiguous unless transposed (stored [K, M]); B [K, N] is k-contiguous when transposed.
    return `
      var<workgroup> tileA : array<f32, ${TILE * STRIDE}>;
      var<workgroup> tileB : array<f32, ${TILE * STRIDE}>;

      fn main() {
        let li = i32(localIndex);
        let tx = li % 16;
        let ty = li / 16;
        let col0 = i32(workgroupId.x) * ${TILE};
        let row0 = i32(workgroupId.y) * ${TILE};
        let split = i32(workgroupId.z);
        let kBegin = split * uniforms.kTilesPerSplit * ${TILE};
        let kEnd = min(kBegin + uniforms.kTilesPerSplit * ${TILE}, uniforms.k);
        var acc00 = 0.0; var acc01 = 0.0; var acc10 = 0.0; var acc11 = 0.0;
        // The loop bound is a uniform, so that every thread reaches the barriers (the last slice may run
        // past K on zeros, which leaves its sums as they are).
        for (var t = 0; t < uniforms.kTilesPerSplit; t++) {
          let k0 = kBegin + t * ${TILE};
          ${stageTile("matA", "tileA", !this.transposeA, "row0", "uniforms.m")}
          ${stageTile("matB", "tileB", this.transposeB, "col0", "uniforms.n")}
          workgroupBarrier();
          ${accumulate2x2(TILE, STRIDE, STRIDE, TILE / 2, TILE / 2)}
          workgroupBarrier();
        }
        let base = split * uniforms.m * uniforms.n;
        let r0 = row0 + ty;
        let r1 = r0 + 16;
        let c0 = col0 + tx;
        let c1 = c0 + 16;
        if (r0 < uniforms.m && c0 < uniforms.n) { result[base + r0 * uniforms.n + c0] = acc00; }
        if (r0 < uniforms.m && c1 < uniforms.n) { result[base + r0 * uniforms.n + c1] = acc01; }
        if (r1 < uniforms.m && c0 < uniforms.n) { result[base + r1 * uniforms.n + c0] = acc10; }
        if (r1 < uniforms.m && c1 < uniforms.n) { result[base + r1 * uniforms.n + c1] = acc11; }
      }
    `;
  }
}

/**
 * The product op(A)·op(B) of one pair of float32 matrices (any leading dimensions of size 1) on the webgpu
 * `backend`, split along k by {@link planSplitK} and summed in a fixed order; the output has `outShape`
 * (M·N elements).
 */
export function splitKMatMul(
  backend: tf.KernelBackend,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  outShape: number[],
  targetWorkgroups = 1024,
): tf.TensorInfo {
  const ra = a.shape.length, rb = b.shape.length;
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  const plan = planSplitK(m, n, k, targetWorkgroups);
  const program = new SplitKMatMulProgram(plan, transposeA, transposeB);
  const partial = runProgram(backend, program, [a, b], [m, n, k, plan.kTilesPerSplit]);
  return sumSlices(backend, partial, plan.splits, outShape);
}
