/**
 * `Conv2DBackpropFilter` for webgpu as one tiled WGSL matrix multiply over an implicit im2col, with split-K.
 *
 * dW [kh·kw·Ci, Co] = A [kh·kw·Ci, K] · B [K, Co] with K = N·Ho·Wo, A[(i·kw+j)·Ci+c, (n,oh,ow)] =
 * x[n, oh·sh−top+i, ow·sw−left+j, c] (0 outside the image) and B = dy viewed as [K, Co]. Neither matrix is
 * materialised: each 256-thread workgroup stages 32-deep tiles of A and B in workgroup memory and accumulates a
 * block of dW (4×4 values per thread; {@link convGemmTile} of Co), with the K positions' image coordinates
 * computed once per tile. The stock shader gives each filter element one invocation looping
 * over all of K (a 3×3 16→16 layer at batch 128: 2,304 invocations × 131k products); here K is split into
 * `splits` slices so that even small layers fill the GPU, each slice writing a partial [splits, M, Co] that a
 * second, flat program sums in a fixed order (deterministic; no atomics).
 */
import * as tf from "@tensorflow/tfjs-core";
import { type KernelFn, stockKernel } from "./kernel_registry.ts";
import { ceilDiv, runProgram, type WebGpuProgram } from "../webgpu/program.ts";
import { convGemmTile } from "./webgpu_conv_gemm.ts";

/** K positions per tile. */
const TILE_K = 32;

/** How a filter gradient is cut into workgroups. */
export interface FilterGradPlan {
  /** GEMM sizes: M = kh·kw·Ci rows, K = N·Ho·Wo reduction length. */
  m: number;
  k: number;
  /** Output block of one workgroup, 4×4 values a thread: {@link convGemmTile} of Co. */
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
 * Chooses the block shape and the split-K factor. The slices set the order in which dW's products are added, so
 * the rule that sizes them is fixed (changing it changes trained weights in the last bits): aim for about
 * `targetWorkgroups` workgroups of the first version's blocks (64×16 when Co ≤ 16, else 32×32) while keeping at
 * least `minKTiles` K tiles (32 each) per slice, so partial sums stay a small fraction of the work.
 *
 * @example
 * planFilterGrad(144, 16, 131072) // 3×3 16→16 at batch 128: one 256×16 block, 342 slices
 */
export function planFilterGrad(
  m: number,
  co: number,
  k: number,
  targetWorkgroups = 1024,
  minKTiles = 8,
): FilterGradPlan {
  const [sliceM, sliceN] = co <= 16 ? [64, 16] : [32, 32];
  const blocks = ceilDiv(m, sliceM) * ceilDiv(co, sliceN);
  const kTiles = ceilDiv(k, TILE_K);
  const wanted = Math.min(ceilDiv(targetWorkgroups, blocks), Math.floor(kTiles / minKTiles));
  const kTilesPerSplit = ceilDiv(kTiles, Math.max(1, wanted));
  const { tileM, tileN } = convGemmTile(co); // 256 threads: the split-K slices make the workgroups
  const tilesM = ceilDiv(m, tileM), tilesN = ceilDiv(co, tileN);
  return { m, k, tileM, tileN, tilesM, tilesN, splits: ceilDiv(kTiles, kTilesPerSplit), kTilesPerSplit };
}

const GEMM_UNIFORMS = "inH : i32, inW : i32, ci : i32, outH : i32, outW : i32, co : i32, kw : i32, " +
  "strideH : i32, strideW : i32, padTop : i32, padLeft : i32, m : i32, k : i32, kTilesPerSplit : i32, ";

/**
 * Partial dW per K slice: output [splits, M, Co]. A workgroup of 256 threads computes a tileM × tileN block,
 * 4×4 values a thread (rows 4·tm…4·tm+3, columns 4·tn…4·tn+3), reading both tiles as `vec4`s. Each value adds
 * its slice's products one after the other with `fma`, as the first (2×2) version did: the same results.
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
    this.shaderKey = `ourConv2DFilterGradSplitK4x4_${plan.tileM}x${plan.tileN}`;
  }

  getUserCode(): string {
    const tileM = this.#tileM, tileN = this.#tileN;
    const threadsN = tileN / 4, m4 = tileM / 4;
    const fmas = [0, 1, 2, 3].map((r) => `acc${r} = fma(vec4<f32>(a[${r}]), b, acc${r});`).join(" ");
    const stores = [0, 1, 2, 3].map((r) => `
        {
          let row = row0 + tm * 4 + ${r};
          if (row < uniforms.m) {
            for (var c = 0; c < 4; c++) {
              let col = col0 + tn * 4 + c;
              if (col < uniforms.co) { result[base + row * uniforms.co + col] = acc${r}[c]; }
            }
          }
        }`).join("");
    return `
      var<workgroup> tileA : array<vec4<f32>, ${(TILE_K * tileM) / 4}>;
      var<workgroup> tileB : array<vec4<f32>, ${(TILE_K * tileN) / 4}>;
      var<workgroup> kN : array<i32, ${TILE_K}>;
      var<workgroup> kH : array<i32, ${TILE_K}>;
      var<workgroup> kW : array<i32, ${TILE_K}>;

      fn main() {
        let li = i32(localIndex);
        let tn = li % ${threadsN};
        let tm = li / ${threadsN};
        let col0 = i32(workgroupId.x) * ${tileN};
        let row0 = i32(workgroupId.y) * ${tileM};
        let split = i32(workgroupId.z);
        let kBegin = split * uniforms.kTilesPerSplit * ${TILE_K};
        let kEnd = min(kBegin + uniforms.kTilesPerSplit * ${TILE_K}, uniforms.k);
        let outHW = uniforms.outH * uniforms.outW;

        // This thread loads row 'laneA' of the A tile at K offsets lkA + ${256 / tileM}·e (consecutive
        // threads: consecutive channels of a pixel), and column 'laneB' of the B tile.
        let laneA = li % ${tileM};
        let lkA = li / ${tileM};
        let row = row0 + laneA;
        let rowOk = row < uniforms.m;
        let tap = row / uniforms.ci;
        let c = row % uniforms.ci;
        let fi = tap / uniforms.kw;
        let fj = tap % uniforms.kw;
        let laneB = li % ${tileN};
        let lkB = li / ${tileN};
        let col = col0 + laneB;
        let colOk = col < uniforms.co;

        var acc0 = vec4<f32>(0.0);
        var acc1 = vec4<f32>(0.0);
        var acc2 = vec4<f32>(0.0);
        var acc3 = vec4<f32>(0.0);
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
          for (var e = 0; e < ${(TILE_K * tileM) / 256}; e++) {
            let kk = lkA + ${256 / tileM} * e;
            var av = 0.0;
            if (rowOk && k0 + kk < kEnd) {
              let ih = kH[kk] + fi;
              let iw = kW[kk] + fj;
              if (ih >= 0 && ih < uniforms.inH && iw >= 0 && iw < uniforms.inW) {
                av = x[((kN[kk] * uniforms.inH + ih) * uniforms.inW + iw) * uniforms.ci + c];
              }
            }
            tileA[kk * ${m4} + laneA / 4][laneA % 4] = av;
          }
          for (var e = 0; e < ${(TILE_K * tileN) / 256}; e++) {
            let kk = lkB + ${256 / tileN} * e;
            var bv = 0.0;
            if (colOk && k0 + kk < kEnd) {
              bv = dy[(k0 + kk) * uniforms.co + col];
            }
            tileB[kk * ${threadsN} + laneB / 4][laneB % 4] = bv;
          }
          workgroupBarrier();
          for (var kk = 0; kk < ${TILE_K}; kk++) {
            let a = tileA[kk * ${m4} + tm];
            let b = tileB[kk * ${threadsN} + tn];
            ${fmas}
          }
          workgroupBarrier();
        }
        let base = split * uniforms.m * uniforms.co;${stores}
      }
    `;
  }
}

/** Sums the partials [splits, size] over the first axis, in slice order. */
class SumSlicesProgram implements WebGpuProgram {
  outputShape: number[];
  shaderKey = "ourSumSlices";
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [64, 1, 1];
  variableNames = ["partials"];
  uniforms = "splits : i32, ";
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
          var s = 0.0;
          for (var i = 0; i < uniforms.splits; i++) {
            s = s + partials[i * uniforms.size + index];
          }
          setOutputAtIndex(index, s);
        }
      }
    `;
  }
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
    if ((attrs.dataFormat ?? "NHWC") !== "NHWC") {
      const stock = stockKernel("Conv2DBackpropFilter", "webgpu");
      if (!stock) throw new Error("Conv2DBackpropFilter on webgpu: only NHWC is tiled, and no stock kernel");
      return stock(args);
    }
    const c = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filterShape,
      attrs.strides as [number, number],
      1,
      attrs.pad as "same",
      attrs.dimRoundingMode as "floor" | undefined,
    );
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
    // One slice: the partial already is dW; the reshape is a relabelling, as the stock Reshape does.
    if (plan.splits === 1) return { ...partial, shape: filterShape };
    const out = runProgram(backend, new SumSlicesProgram(filterShape), [partial], [plan.splits]);
    backend.disposeData(partial.dataId);
    return out;
  };
}
