/**
 * `Conv2DBackpropFilter` for webgpu as one tiled WGSL matrix multiply over an implicit im2col, with split-K.
 *
 * dW [kh·kw·Ci, Co] = A [kh·kw·Ci, K] · B [K, Co] with K = N·Ho·Wo, A[(i·kw+j)·Ci+c, (n,oh,ow)] =
 * x[n, oh·sh−top+i, ow·sw−left+j, c] (0 outside the image) and B = dy viewed as [K, Co]. Neither matrix is
 * materialised: each 256-thread workgroup stages 32-deep tiles of A and B in workgroup memory and accumulates a
 * 32×32 block of dW (64×16 when Co ≤ 16; 2×2 values per thread), with the K positions' image coordinates
 * computed once per tile. The stock shader gives each filter element one invocation looping
 * over all of K (a 3×3 16→16 layer at batch 128: 2,304 invocations × 131k products); here K is split into
 * `splits` slices so that even small layers fill the GPU, each slice writing a partial [splits, M, Co] that
 * {@link sumSlices} adds in a fixed order (deterministic; no atomics). {@link filterGradDirectWebGpu} takes the
 * direct program (webgpu_filter_grad_direct.ts) instead at stride 1.
 */
import * as tf from "@tensorflow/tfjs-core";
import { type KernelFn, stockFallback } from "./kernel_registry.ts";
import { ceilDiv, runProgram, type WebGpuProgram } from "../webgpu/program.ts";
import { isNhwc, nhwcConvInfo } from "./conv_info.ts";
import { FilterGradDirectProgram, planFilterGradDirect } from "./webgpu_filter_grad_direct.ts";
import { cropAxis, padAxisTo4, paddedConv, padsChannels } from "./webgpu_channel_pad.ts";

/** K positions per tile. */
const TILE_K = 32;

/** How a filter gradient is cut into workgroups. */
export interface FilterGradPlan {
  /** GEMM sizes: M = kh·kw·Ci rows, K = N·Ho·Wo reduction length. */
  m: number;
  k: number;
  /** Output block of one workgroup: 32×32, or 64×16 when Co ≤ 16 (no half-empty tiles on narrow layers). */
  tileM: number;
  tileN: number;
  /** Output tiles along M and Co. */
  tilesM: number;
  tilesN: number;
  /** K slices, each `kTilesPerSplit` tiles of 32 long. */
  splits: number;
  kTilesPerSplit: number;
}

/**
 * Chooses the block shape and the split-K factor: aim for about `targetWorkgroups` workgroups while keeping
 * at least `minKTiles` K tiles (32 each) per slice, so partial sums stay a small fraction of the work.
 *
 * @example
 * planFilterGrad(144, 16, 131072) // 3×3 16→16 at batch 128: 64×16 blocks, 3 of them, 342 slices
 */
export function planFilterGrad(
  m: number,
  co: number,
  k: number,
  targetWorkgroups = 1024,
  minKTiles = 8,
): FilterGradPlan {
  const [tileM, tileN] = co <= 16 ? [64, 16] : [32, 32];
  const tilesM = ceilDiv(m, tileM), tilesN = ceilDiv(co, tileN);
  const slices = planSlices(ceilDiv(k, TILE_K), tilesM * tilesN, targetWorkgroups, minKTiles);
  return { m, k, tileM, tileN, tilesM, tilesN, ...slices };
}

/**
 * How `kTiles` steps of K are cut into slices for `outputTiles` workgroups a slice: about `targetWorkgroups`
 * workgroups in all, each slice at least `minKTiles` steps long (the last may be shorter). Shared with
 * webgpu_split_k_mat_mul.ts.
 *
 * @example
 * planSlices(784, 100, 1024, 8); // { splits: 11, kTilesPerSplit: 72 }
 */
export function planSlices(
  kTiles: number,
  outputTiles: number,
  targetWorkgroups: number,
  minKTiles: number,
): { splits: number; kTilesPerSplit: number } {
  const wanted = Math.min(ceilDiv(targetWorkgroups, outputTiles), Math.floor(kTiles / minKTiles));
  const kTilesPerSplit = ceilDiv(kTiles, Math.max(1, wanted));
  return { splits: ceilDiv(kTiles, kTilesPerSplit), kTilesPerSplit };
}

const GEMM_UNIFORMS = "inH : i32, inW : i32, ci : i32, outH : i32, outW : i32, co : i32, kw : i32, " +
  "strideH : i32, strideW : i32, padTop : i32, padLeft : i32, m : i32, k : i32, kTilesPerSplit : i32, ";

/**
 * Partial dW per K slice: output [splits, M, Co]. A workgroup of 256 threads computes a tileM × tileN block,
 * 2×2 values per thread (rows ty and ty + tileM/2, columns tx and tx + tileN/2).
 */
class FilterGradGemmProgram implements WebGpuProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [2], y: [1], z: [0] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [256, 1, 1];
  variableNames = ["x", "dy"];
  uniforms = GEMM_UNIFORMS;
  readonly #tileM: number;
  readonly #tileN: number;

  constructor(plan: FilterGradPlan, co: number) {
    this.outputShape = [plan.splits, plan.m, co];
    this.dispatch = [plan.tilesN, plan.tilesM, plan.splits];
    this.#tileM = plan.tileM;
    this.#tileN = plan.tileN;
    this.shaderKey = `ourConv2DFilterGradSplitK_${plan.tileM}x${plan.tileN}`;
  }

  getUserCode(): string {
    const tm = this.#tileM, tn = this.#tileN;
    const halfM = tm / 2, halfN = tn / 2;
    return `
      var<workgroup> tileA : array<f32, ${TILE_K * tm}>;
      var<workgroup> tileB : array<f32, ${TILE_K * tn}>;
      var<workgroup> kN : array<i32, ${TILE_K}>;
      var<workgroup> kH : array<i32, ${TILE_K}>;
      var<workgroup> kW : array<i32, ${TILE_K}>;

      fn main() {
        let li = i32(localIndex);
        let tx = li % ${halfN};
        let ty = li / ${halfN};
        let col0 = i32(workgroupId.x) * ${tn};
        let row0 = i32(workgroupId.y) * ${tm};
        let split = i32(workgroupId.z);
        let kBegin = split * uniforms.kTilesPerSplit * ${TILE_K};
        let kEnd = min(kBegin + uniforms.kTilesPerSplit * ${TILE_K}, uniforms.k);
        let outHW = uniforms.outH * uniforms.outW;

        // This thread loads row 'laneA' of the A tile at K offsets lkA + ${256 / tm}·e, and column 'laneB'
        // of the B tile at K offsets lkB + ${256 / tn}·e.
        let laneA = li % ${tm};
        let lkA = li / ${tm};
        let row = row0 + laneA;
        let rowOk = row < uniforms.m;
        let tap = row / uniforms.ci;
        let c = row % uniforms.ci;
        let fi = tap / uniforms.kw;
        let fj = tap % uniforms.kw;
        let laneB = li % ${tn};
        let lkB = li / ${tn};
        let col = col0 + laneB;
        let colOk = col < uniforms.co;

        var acc00 = 0.0; var acc01 = 0.0; var acc10 = 0.0; var acc11 = 0.0;
        for (var t = 0; t < uniforms.kTilesPerSplit; t++) {
          let k0 = kBegin + t * ${TILE_K};
          // The (n, top row, left column) of this tile's ${TILE_K} K positions, once per tile: integer
          // division is slow on GPUs, and every thread needs them for its loads.
          if (li < ${TILE_K}) {
            let kIdx = k0 + li;
            let n = kIdx / outHW;
            let rem = kIdx - n * outHW;
            let oh = rem / uniforms.outW;
            kN[li] = n;
            kH[li] = oh * uniforms.strideH - uniforms.padTop;
            kW[li] = (rem - oh * uniforms.outW) * uniforms.strideW - uniforms.padLeft;
          }
          workgroupBarrier();
          for (var e = 0; e < ${(TILE_K * tm) / 256}; e++) {
            let kk = lkA + ${256 / tm} * e;
            var av = 0.0;
            if (rowOk && k0 + kk < kEnd) {
              let ih = kH[kk] + fi;
              let iw = kW[kk] + fj;
              if (ih >= 0 && ih < uniforms.inH && iw >= 0 && iw < uniforms.inW) {
                av = x[((kN[kk] * uniforms.inH + ih) * uniforms.inW + iw) * uniforms.ci + c];
              }
            }
            tileA[kk * ${tm} + laneA] = av;
          }
          for (var e = 0; e < ${(TILE_K * tn) / 256}; e++) {
            let kk = lkB + ${256 / tn} * e;
            var bv = 0.0;
            if (colOk && k0 + kk < kEnd) {
              bv = dy[(k0 + kk) * uniforms.co + col];
            }
            tileB[kk * ${tn} + laneB] = bv;
          }
          workgroupBarrier();
          ${accumulate2x2(TILE_K, tm, tn, halfM, halfN)}
          workgroupBarrier();
        }
        let base = split * uniforms.m * uniforms.co;
        let r0 = row0 + ty;
        let r1 = r0 + ${halfM};
        let c0 = col0 + tx;
        let c1 = c0 + ${halfN};
        if (r0 < uniforms.m && c0 < uniforms.co) { result[base + r0 * uniforms.co + c0] = acc00; }
        if (r0 < uniforms.m && c1 < uniforms.co) { result[base + r0 * uniforms.co + c1] = acc01; }
        if (r1 < uniforms.m && c0 < uniforms.co) { result[base + r1 * uniforms.co + c0] = acc10; }
        if (r1 < uniforms.m && c1 < uniforms.co) { result[base + r1 * uniforms.co + c1] = acc11; }
      }
    `;
  }
}

/**
 * WGSL: one staged K tile (`tileK` deep) multiplied into a thread's 2×2 accumulators `acc00`…`acc11`, in K order:
 * rows `ty` and `ty + halfM` of `tileA` (`tileA[kk·strideA + row]`), columns `tx` and `tx + halfN` of `tileB`.
 * Shared by the split-K products here and in webgpu_split_k_mat_mul.ts.
 */
export function accumulate2x2(
  tileK: number,
  strideA: number,
  strideB: number,
  halfM: number,
  halfN: number,
): string {
  return `for (var kk = 0; kk < ${tileK}; kk++) {
            let a0 = tileA[kk * ${strideA} + ty];
            let a1 = tileA[kk * ${strideA} + ty + ${halfM}];
            let b0 = tileB[kk * ${strideB} + tx];
            let b1 = tileB[kk * ${strideB} + tx + ${halfN}];
            acc00 = fma(a0, b0, acc00);
            acc01 = fma(a0, b1, acc01);
            acc10 = fma(a1, b0, acc10);
            acc11 = fma(a1, b1, acc11);
          }`;
}

/**
 * Sums groups of `group` consecutive slices of partials [splits, slice]: output [ceil(splits / group), slice],
 * each sum in slice order.
 */
class SumSlicesProgram implements WebGpuProgram {
  outputShape: number[];
  shaderKey = "ourSumSliceGroups";
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [64, 1, 1];
  variableNames = ["partials"];
  uniforms = "splits : i32, group : i32, slice : i32, ";
  size = true;

  constructor(outputShape: number[]) {
    this.outputShape = outputShape;
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    this.dispatch = [ceilDiv(tf.util.sizeFromShape(outputShape), 64), 1, 1];
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let g = index / uniforms.slice;
          let o = index - g * uniforms.slice;
          let first = g * uniforms.group;
          let last = min(first + uniforms.group, uniforms.splits);
          var s = 0.0;
          for (var i = first; i < last; i++) {
            s = s + partials[i * uniforms.slice + o];
          }
          setOutputAtIndex(index, s);
        }
      }
    `;
  }
}

/** Most slices one thread of {@link sumSlices} adds in a single pass. */
const ONE_PASS_SLICES = 32;

/**
 * Sums partial results [splits, …shape] over the first axis into `shape`, in a fixed order (deterministic):
 * in one pass up to 32 slices; beyond, in groups of ⌈√splits⌉ consecutive slices and then the groups, so no
 * thread adds more than about √splits values in a row. Disposes `partial`.
 *
 * @example
 * const dw = sumSlices(backend, partial, 512, [3, 3, 16, 16]); // 23 groups of 23, then the 23 sums
 */
export function sumSlices(
  backend: tf.KernelBackend,
  partial: tf.TensorInfo,
  splits: number,
  shape: number[],
): tf.TensorInfo {
  // One slice: the partial already is the sum; the reshape is a relabelling, as the stock Reshape does.
  if (splits === 1) return { ...partial, shape };
  const slice = tf.util.sizeFromShape(shape);
  let sums = partial, count = splits;
  if (splits > ONE_PASS_SLICES) {
    const group = Math.ceil(Math.sqrt(splits));
    count = ceilDiv(splits, group);
    sums = runProgram(backend, new SumSlicesProgram([count, slice]), [partial], [splits, group, slice]);
    backend.disposeData(partial.dataId);
  }
  const out = runProgram(backend, new SumSlicesProgram(shape), [sums], [count, count, slice]);
  backend.disposeData(sums.dataId);
  return out;
}

/**
 * The webgpu `Conv2DBackpropFilter` kernel (NHWC; other layouts go to the stock kernel).
 * `targetWorkgroups` tunes the split-K factor (see {@link planFilterGrad}).
 */
export function filterGradTiledWebGpu(targetWorkgroups = 1024): KernelFn {
  return (args) => {
    const { inputs, attrs = {}, backend } = args;
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const filterShape = attrs.filterShape as [number, number, number, number];
    if (!isNhwc(attrs)) return stockFallback("Conv2DBackpropFilter", "webgpu", "only NHWC is tiled")(args);
    const c = nhwcConvInfo(x.shape, filterShape, attrs);
    const m = c.filterHeight * c.filterWidth * c.inChannels;
    const plan = planFilterGrad(m, c.outChannels, c.batchSize * c.outHeight * c.outWidth, targetWorkgroups);
    const partial = runProgram(backend, new FilterGradGemmProgram(plan, c.outChannels), [x, dy], [
      c.inHeight,
      c.inWidth,
      c.inChannels,
      c.outHeight,
      c.outWidth,
      c.outChannels,
      c.filterWidth,
      c.strideHeight,
      c.strideWidth,
      c.padInfo.top,
      c.padInfo.left,
      m,
      plan.k,
      plan.kTilesPerSplit,
    ]);
    return sumSlices(backend, partial, plan.splits, filterShape);
  };
}

/**
 * The webgpu `Conv2DBackpropFilter` kernel with the direct program (webgpu_filter_grad_direct.ts) where it
 * covers the layer (stride 1, channel counts in fours, NHWC; 1 or 3 input channels are padded to 4,
 * webgpu_channel_pad.ts), the split-K GEMM ({@link filterGradTiledWebGpu}) elsewhere.
 */
export function filterGradDirectWebGpu(targetWorkgroups = 1024): KernelFn {
  const tiled = filterGradTiledWebGpu(targetWorkgroups);
  return (args) => {
    const { inputs, attrs = {}, backend } = args;
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const filterShape = attrs.filterShape as [number, number, number, number];
    const c = isNhwc(attrs) ? nhwcConvInfo(x.shape, filterShape, attrs) : null;
    const plan = c && planFilterGradDirect(c, targetWorkgroups);
    if (c && plan) {
      const program = new FilterGradDirectProgram(c, plan);
      const partial = runProgram(backend, program, [x, dy], program.uniformValues());
      return sumSlices(backend, partial, plan.splits, filterShape);
    }
    if (c && padsChannels(c.inChannels)) {
      // 1 or 3 input channels (a first layer): x padded with zero channels to 4, the padded rows of dW dropped.
      const { c4, filterShape4 } = paddedConv(x.shape, c, attrs);
      const plan4 = planFilterGradDirect(c4, targetWorkgroups);
      if (plan4) {
        const x4 = padAxisTo4(backend, x, 3);
        const program = new FilterGradDirectProgram(c4, plan4);
        const partial = runProgram(backend, program, [x4, dy], program.uniformValues());
        if (x4 !== x) backend.disposeData(x4.dataId);
        const dw4 = sumSlices(backend, partial, plan4.splits, filterShape4);
        const dw = cropAxis(backend, dw4, 2, c.inChannels);
        backend.disposeData(dw4.dataId);
        return dw;
      }
    }
    return tiled(args);
  };
}
