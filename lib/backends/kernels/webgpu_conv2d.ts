/**
 * `Conv2D` (the forward convolution) for webgpu as one tiled WGSL matrix multiply over an implicit im2col.
 *
 * y [P, Co] = A [P, Kd] · W [Kd, Co] with P = N·Ho·Wo output positions, Kd = kh·kw·Ci, A[(n,oh,ow),
 * (i·kw+j)·Ci+c] = x[n, oh·sh−top+i, ow·sw−left+j, c] (0 outside the image) and W the filter [kh, kw, Ci, Co]
 * viewed as [Kd, Co]. A is never materialised: each 256-thread workgroup computes a 64×16 block of y (32×32
 * when Co > 16; 2×2 values per thread), staging 16-deep tiles of A and W in workgroup memory — small, because
 * the networks here have small Kd (27 for the first 3×3 layer on RGB, 144 for 3×3 on 16 channels). The image
 * coordinates of the block's rows and the (tap, channel) of each tile's columns are computed once and shared
 * through workgroup memory. The same structure as the filter gradient (webgpu_filter_grad.ts), without
 * split-K: P is large, so there are enough blocks.
 */
import * as tf from "@tensorflow/tfjs-core";
import { type KernelFn, stockKernel } from "./kernel_registry.ts";
import { ceilDiv, runProgram, type WebGpuProgram } from "../webgpu/program.ts";

/** Kd entries per tile. */
const TILE_K = 16;

/** The output block of one workgroup for `co` output channels: 64×16 when Co ≤ 16, else 32×32. */
export function conv2dTile(co: number): [number, number] {
  return co <= 16 ? [64, 16] : [32, 32];
}

/** y as [P, Co]; a workgroup of 256 threads computes a tileP × tileN block, 2×2 values per thread. */
class Conv2DGemmProgram implements WebGpuProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [1], y: [0] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [256, 1, 1];
  variableNames = ["x", "w"];
  uniforms = "inH : i32, inW : i32, ci : i32, outH : i32, outW : i32, co : i32, kw : i32, strideH : i32, " +
    "strideW : i32, padTop : i32, padLeft : i32, p : i32, kd : i32, ";
  readonly #tileP: number;
  readonly #tileN: number;

  constructor(p: number, co: number) {
    [this.#tileP, this.#tileN] = conv2dTile(co);
    this.outputShape = [p, co];
    this.dispatch = [ceilDiv(co, this.#tileN), ceilDiv(p, this.#tileP), 1];
    this.shaderKey = `ourConv2DGemm_${this.#tileP}x${this.#tileN}`;
  }

  getUserCode(): string {
    const tp = this.#tileP, tn = this.#tileN;
    const halfP = tp / 2, halfN = tn / 2;
    return `
      var<workgroup> tileA : array<f32, ${TILE_K * tp}>;
      var<workgroup> tileB : array<f32, ${TILE_K * tn}>;
      var<workgroup> rowN : array<i32, ${tp}>;
      var<workgroup> rowH : array<i32, ${tp}>;
      var<workgroup> rowW : array<i32, ${tp}>;
      var<workgroup> colI : array<i32, ${TILE_K}>;
      var<workgroup> colJ : array<i32, ${TILE_K}>;
      var<workgroup> colC : array<i32, ${TILE_K}>;

      fn main() {
        let li = i32(localIndex);
        let tx = li % ${halfN};
        let ty = li / ${halfN};
        let col0 = i32(workgroupId.x) * ${tn};
        let row0 = i32(workgroupId.y) * ${tp};
        let outHW = uniforms.outH * uniforms.outW;
        // The (n, top row, left column) of the block's output positions, once per workgroup.
        if (li < ${tp}) {
          let pIdx = min(row0 + li, uniforms.p - 1);
          let n = pIdx / outHW;
          let rem = pIdx - n * outHW;
          let oh = rem / uniforms.outW;
          rowN[li] = n;
          rowH[li] = oh * uniforms.strideH - uniforms.padTop;
          rowW[li] = (rem - oh * uniforms.outW) * uniforms.strideW - uniforms.padLeft;
        }
        let laneA = li % ${tp};
        let lkA = li / ${tp};
        let rowOk = row0 + laneA < uniforms.p;
        let laneB = li % ${tn};
        let lkB = li / ${tn};
        let col = col0 + laneB;
        let colOk = col < uniforms.co;

        var acc00 = 0.0; var acc01 = 0.0; var acc10 = 0.0; var acc11 = 0.0;
        let kTiles = (uniforms.kd + ${TILE_K - 1}) / ${TILE_K};
        for (var t = 0; t < kTiles; t++) {
          let k0 = t * ${TILE_K};
          if (li < ${TILE_K}) {
            let kIdx = k0 + li;
            let tap = kIdx / uniforms.ci;
            colC[li] = kIdx - tap * uniforms.ci;
            colI[li] = tap / uniforms.kw;
            colJ[li] = tap % uniforms.kw;
          }
          workgroupBarrier();
          for (var e = 0; e < ${(TILE_K * tp) / 256}; e++) {
            let kk = lkA + ${256 / tp} * e;
            var av = 0.0;
            if (rowOk && k0 + kk < uniforms.kd) {
              let ih = rowH[laneA] + colI[kk];
              let iw = rowW[laneA] + colJ[kk];
              if (ih >= 0 && ih < uniforms.inH && iw >= 0 && iw < uniforms.inW) {
                av = x[((rowN[laneA] * uniforms.inH + ih) * uniforms.inW + iw) * uniforms.ci + colC[kk]];
              }
            }
            tileA[kk * ${tp} + laneA] = av;
          }
          for (var e = 0; e < ${(TILE_K * tn) / 256}; e++) {
            let kk = lkB + ${256 / tn} * e;
            var bv = 0.0;
            if (colOk && k0 + kk < uniforms.kd) {
              bv = w[(k0 + kk) * uniforms.co + col];
            }
            tileB[kk * ${tn} + laneB] = bv;
          }
          workgroupBarrier();
          for (var kk = 0; kk < ${TILE_K}; kk++) {
            let a0 = tileA[kk * ${tp} + ty];
            let a1 = tileA[kk * ${tp} + ty + ${halfP}];
            let b0 = tileB[kk * ${tn} + tx];
            let b1 = tileB[kk * ${tn} + tx + ${halfN}];
            acc00 = fma(a0, b0, acc00);
            acc01 = fma(a0, b1, acc01);
            acc10 = fma(a1, b0, acc10);
            acc11 = fma(a1, b1, acc11);
          }
          workgroupBarrier();
        }
        let r0 = row0 + ty;
        let r1 = r0 + ${halfP};
        let c0 = col0 + tx;
        let c1 = c0 + ${halfN};
        if (r0 < uniforms.p && c0 < uniforms.co) { result[r0 * uniforms.co + c0] = acc00; }
        if (r0 < uniforms.p && c1 < uniforms.co) { result[r0 * uniforms.co + c1] = acc01; }
        if (r1 < uniforms.p && c0 < uniforms.co) { result[r1 * uniforms.co + c0] = acc10; }
        if (r1 < uniforms.p && c1 < uniforms.co) { result[r1 * uniforms.co + c1] = acc11; }
      }
    `;
  }
}

const isOne = (d: unknown) => d === undefined || d === 1 || (Array.isArray(d) && d.every((v) => v === 1));

/**
 * The webgpu `Conv2D` kernel: NHWC, no dilation (anything else goes to the stock kernel).
 *
 * @example
 * replaceKernel("Conv2D", WEBGPU_BACKEND, conv2dGemmWebGpu());
 */
export function conv2dGemmWebGpu(): KernelFn {
  return (args) => {
    const { inputs, attrs = {}, backend } = args;
    const { x, filter } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    if ((attrs.dataFormat ?? "NHWC") !== "NHWC" || !isOne(attrs.dilations)) {
      const stock = stockKernel("Conv2D", "webgpu");
      if (!stock) {
        throw new Error("Conv2D on webgpu: only NHWC without dilation is ours, and no stock kernel");
      }
      return stock(args);
    }
    const c = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      attrs.strides as [number, number],
      1,
      attrs.pad as "same",
      attrs.dimRoundingMode as "floor" | undefined,
    );
    const p = c.batchSize * c.outHeight * c.outWidth;
    const kd = c.filterHeight * c.filterWidth * c.inChannels;
    const out = runProgram(backend, new Conv2DGemmProgram(p, c.outChannels), [x, filter], [
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
      p,
      kd,
    ]);
    // [P, Co] is [N, Ho, Wo, Co] in memory: a relabelling, as the stock Reshape does.
    return { ...out, shape: [c.batchSize, c.outHeight, c.outWidth, c.outChannels] };
  };
}
