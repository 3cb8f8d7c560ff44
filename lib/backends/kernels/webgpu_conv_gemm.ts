/**
 * One WGSL implicit-GEMM program for the two convolutions that produce an image: the forward pass (`Conv2D`,
 * `FusedConv2D`) and the input gradient (`Conv2DBackpropInput`). Both are out [rows, cols] = A [rows, Kd] ·
 * B [Kd, cols] with A an im2col view of a source image that is never materialised:
 *
 * - `forward`: rows = N·Ho·Wo, cols = Co, Kd = kh·kw·Ci; A[(n,oh,ow), (i·kw+j)·Ci+c] = x[n, oh·sh−top+i,
 *   ow·sw−left+j, c] (0 outside the image); B = the filter [kh, kw, Ci, Co] viewed as [Kd, Co].
 * - `inputGrad`: rows = N·H·W, cols = Ci, Kd = kh·kw·Co; A[(n,h,w), (i·kw+j)·Co+c] = dy[n, (h+top−i)/sh,
 *   (w+left−j)/sw, c] where the division is exact and lands inside dy (0 otherwise); B[(i·kw+j)·Co+c, ci] =
 *   W[i, j, ci, c].
 *
 * Each workgroup (64 to 256 threads: {@link convGemmTile}) computes a tileM × tileN block of out, 4×4 values a
 * thread, staging 16-deep tiles of A (k contiguous) and B in workgroup memory and reading both as `vec4`s: 16
 * multiply-adds per two loads. Every output adds its Kd products one after the other, in the order of tfjs's own shaders (the input
 * gradient's taps last to first), so the result does not depend on the tiling and equals the stock kernel's.
 * The block's image coordinates (rows) and each tile's (tap, channel) (columns of A) are computed once and
 * shared through workgroup memory. An optional epilogue adds a per-column bias and applies ReLU (`FusedConv2D`).
 */
import type * as tf from "@tensorflow/tfjs-core";
import { ceilDiv, type WebGpuProgram } from "../webgpu/program.ts";

/** Kd entries per tile. */
const TILE_K = 16;

/** Which convolution the program computes. */
export type ConvGemmMode = "forward" | "inputGrad";

/**
 * How a thread adds its products, as tfjs's shader for the same kernel does (so that results are the stock
 * kernel's, bit for bit): `fma` one product at a time (the forward `conv2d_mm`); for the input gradient (the
 * stock `Conv2DDerInputProgram`) `dot4`, a `dot` of four channels added to the sum, when both channel counts
 * are multiples of 4, else `mulAdd`, `sum + a * b` (which the shader compiler may or may not fuse, for both).
 */
export type ConvGemmAccumulate = "fma" | "dot4" | "mulAdd";

/** The epilogue of a forward convolution. */
export interface ConvGemmEpilogue {
  bias: boolean;
  relu: boolean;
}

/** Below this many 256-thread workgroups, a convolution runs on 64-thread ones (4× as many, 4× smaller). */
export const MIN_WORKGROUPS = 256;

/** How one workgroup's block of the output is cut: tileM × tileN values, 4×4 a thread. */
export interface ConvGemmTile {
  tileM: number;
  tileN: number;
  threads: number;
}

/**
 * The output block of one workgroup for `cols` output columns: tileN ∈ {4, 8, 16, 32, 64} (the narrowest that
 * holds the columns, so narrow layers waste no lanes), tileM = 16 · threads / tileN rows (at most 256, within
 * 16 KiB of workgroup memory), on 256 threads (fewer for tileN < 16), or on 64 when that would give fewer than
 * {@link MIN_WORKGROUPS} workgroups (small batches, the deep layers' few pixels). `rows` defaults to many.
 *
 * @example
 * convGemmTile(16) // { tileM: 256, tileN: 16, threads: 256 }
 * convGemmTile(64, 8192) // 128 blocks of 64×64 are too few: { tileM: 16, tileN: 64, threads: 64 }
 * convGemmTile(1) // dx of a one-channel image: { tileM: 256, tileN: 4, threads: 64 }
 */
export function convGemmTile(cols: number, rows = Infinity): ConvGemmTile {
  const tileN = [4, 8, 16, 32].find((n) => cols <= n) ?? 64;
  const blocks = (threads: number) => Math.ceil(rows / ((16 * threads) / tileN)) * Math.ceil(cols / tileN);
  const widest = Math.min(256, 16 * tileN);
  const threads = blocks(widest) >= MIN_WORKGROUPS ? widest : 64;
  return { tileM: (16 * threads) / tileN, tileN, threads };
}

/**
 * The GEMM of `mode` of the convolution `c`: the source image (x, or dy) as [N, srcH, srcW, srcC], the output
 * image's height and width (rows = N · dstH · dstW), its channels (cols) and Kd = kh · kw · srcC.
 */
export interface ConvGemmSizes {
  srcH: number;
  srcW: number;
  srcC: number;
  dstH: number;
  dstW: number;
  cols: number;
  rows: number;
  kd: number;
}

/**
 * {@link ConvGemmSizes} of `mode` of the convolution `c`.
 *
 * @example
 * convGemmSizes("inputGrad", c) // dx: rows N·H·W, cols Ci, Kd kh·kw·Co
 */
export function convGemmSizes(mode: ConvGemmMode, c: tf.backend_util.Conv2DInfo): ConvGemmSizes {
  const input = [c.inHeight, c.inWidth, c.inChannels], output = [c.outHeight, c.outWidth, c.outChannels];
  const [[srcH, srcW, srcC], [dstH, dstW, cols]] = mode === "forward" ? [input, output] : [output, input];
  return {
    srcH,
    srcW,
    srcC,
    dstH,
    dstW,
    cols,
    rows: c.batchSize * dstH * dstW,
    kd: c.filterHeight * c.filterWidth * srcC,
  };
}

/** out [rows, cols] of one convolution; inputs `a` (the source image), `w` (the filter) and optionally `bias`. */
export class ConvGemmProgram implements WebGpuProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [1], y: [0] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  variableNames: string[];
  uniforms = "srcH : i32, srcW : i32, srcC : i32, dstH : i32, dstW : i32, cols : i32, kw : i32, " +
    "strideH : i32, strideW : i32, padTop : i32, padLeft : i32, rows : i32, kd : i32, ";
  /** The GEMM's sizes. */
  readonly sizes: ConvGemmSizes;
  readonly #convInfo: tf.backend_util.Conv2DInfo;
  readonly #mode: ConvGemmMode;
  readonly #epilogue: ConvGemmEpilogue;
  readonly #accumulate: ConvGemmAccumulate;
  readonly #unitStride: boolean;
  readonly #tileM: number;
  readonly #tileN: number;
  readonly #threads: number;

  /** Program for `mode` of the convolution `c`; `epilogue` (forward only): bias and ReLU. */
  constructor(
    mode: ConvGemmMode,
    c: tf.backend_util.Conv2DInfo,
    epilogue: ConvGemmEpilogue = { bias: false, relu: false },
  ) {
    if (mode === "inputGrad" && (epilogue.bias || epilogue.relu)) {
      throw new Error("ConvGemmProgram: the input gradient has no bias or activation epilogue");
    }
    const { rows, cols, srcC } = this.sizes = convGemmSizes(mode, c);
    // The input gradient at stride 1 needs no divisibility test when it reads dy.
    const unitStride = mode === "inputGrad" && c.strideHeight === 1 && c.strideWidth === 1;
    this.#mode = mode;
    this.#convInfo = c;
    this.#unitStride = unitStride;
    this.#accumulate = mode === "forward" ? "fma" : srcC % 4 === 0 && cols % 4 === 0 ? "dot4" : "mulAdd";
    this.#epilogue = epilogue;
    const tile = convGemmTile(cols, rows);
    [this.#tileM, this.#tileN, this.#threads] = [tile.tileM, tile.tileN, tile.threads];
    this.workgroupSize = [tile.threads, 1, 1];
    this.outputShape = [rows, cols];
    this.dispatch = [ceilDiv(cols, this.#tileN), ceilDiv(rows, this.#tileM), 1];
    this.variableNames = epilogue.bias ? ["a", "w", "bias"] : ["a", "w"];
    this.shaderKey = `ourConvGemm_${mode}_${this.#accumulate}_${this.#tileM}x${this.#tileN}` +
      `${epilogue.bias ? "_bias" : ""}${epilogue.relu ? "_relu" : ""}${unitStride ? "_s1" : ""}`;
  }

  /** The uniform values, in the order {@link uniforms} declares them. */
  uniformValues(): number[] {
    const s = this.sizes, c = this.#convInfo;
    return [
      s.srcH,
      s.srcW,
      s.srcC,
      s.dstH,
      s.dstW,
      s.cols,
      c.filterWidth,
      c.strideHeight,
      c.strideWidth,
      c.padInfo.top,
      c.padInfo.left,
      s.rows,
      s.kd,
    ];
  }

  /** WGSL that sets `av` to A[row r of the block, column kk of the tile], inside the test that both exist. */
  #loadA(): string {
    if (this.#mode === "forward") {
      return `
              let ih = rowH[r] + colI[kk];
              let iw = rowW[r] + colJ[kk];
              if (ih >= 0 && ih < uniforms.srcH && iw >= 0 && iw < uniforms.srcW) {
                av = a[((rowN[r] * uniforms.srcH + ih) * uniforms.srcW + iw) * uniforms.srcC + colC[kk]];
              }`;
    }
    if (this.#unitStride) {
      return `
              let oh = rowH[r] - colI[kk];
              let ow = rowW[r] - colJ[kk];
              if (oh >= 0 && ow >= 0 && oh < uniforms.srcH && ow < uniforms.srcW) {
                av = a[((rowN[r] * uniforms.srcH + oh) * uniforms.srcW + ow) * uniforms.srcC + colC[kk]];
              }`;
    }
    return `
              let th = rowH[r] - colI[kk];
              let tw = rowW[r] - colJ[kk];
              if (th >= 0 && tw >= 0 && th % uniforms.strideH == 0 && tw % uniforms.strideW == 0) {
                let oh = th / uniforms.strideH;
                let ow = tw / uniforms.strideW;
                if (oh < uniforms.srcH && ow < uniforms.srcW) {
                  av = a[((rowN[r] * uniforms.srcH + oh) * uniforms.srcW + ow) * uniforms.srcC + colC[kk]];
                }
              }`;
  }

  /** WGSL: the B index of tile column kk and output column `col`. */
  #indexB(): string {
    return this.#mode === "forward"
      ? "(k0 + kk) * uniforms.cols + col"
      : "((colI[kk] * uniforms.kw + colJ[kk]) * uniforms.cols + col) * uniforms.srcC + colC[kk]";
  }

  getUserCode(): string {
    const tileM = this.#tileM, tileN = this.#tileN, threads = this.#threads;
    const threadsN = tileN / 4, k4 = TILE_K / 4;
    // forward: the top-left input pixel of each output position; inputGrad: the output pixel shifted by the
    // padding, from which tap (i, j) reads dy at ((h + top − i) / sh, (w + left − j) / sw).
    const rowOrigin = this.#mode === "forward"
      ? `rowH[i] = oh * uniforms.strideH - uniforms.padTop;
          rowW[i] = ow * uniforms.strideW - uniforms.padLeft;`
      : `rowH[i] = oh + uniforms.padTop;
          rowW[i] = ow + uniforms.padLeft;`;
    // The input gradient takes the taps last to first, as the stock kernel (a convolution with the flipped
    // filter) adds them: with the same order the results are the stock kernel's, bit for bit.
    const tapOf = this.#mode === "forward" ? "t" : "uniforms.kd / uniforms.srcC - 1 - t";
    const bias = this.#epilogue.bias ? " + bias[col]" : "";
    const value = this.#epilogue.relu ? "select(v, 0.0, v < 0.0)" : "v";
    const dot4 = this.#accumulate === "dot4";
    const rows = [0, 1, 2, 3];
    const lanes = ["x", "y", "z", "w"];
    // dot4: b0…b3 are four columns, each a vec4 over k; otherwise four k, each a vec4 over the columns.
    const accumulate = dot4
      ? rows.map((r) => `acc${r} = acc${r} + vec4<f32>(${rows.map((c) => `dot(a${r}, b${c})`).join(", ")});`)
        .join("\n            ")
      : rows.map((r) =>
        lanes.map((q, i) =>
          this.#accumulate === "fma"
            ? `acc${r} = fma(vec4<f32>(a${r}.${q}), b${i}, acc${r});`
            : `acc${r} = acc${r} + vec4<f32>(a${r}.${q}) * b${i};`
        ).join(" ")
      ).join("\n            ");
    const storeB = dot4
      ? `tileB[cLane * ${k4} + kk / 4][kk % 4] = bv;`
      : `tileB[kk * ${threadsN} + cLane / 4][cLane % 4] = bv;`;
    const readB = (i: number) =>
      dot4 ? `tileB[(tn * 4 + ${i}) * ${k4} + q]` : `tileB[(q * 4 + ${i}) * ${threadsN} + tn]`;
    const stores = [0, 1, 2, 3].map((r) => `
        {
          let row = row0 + tm * 4 + ${r};
          if (row < uniforms.rows) {
            for (var c = 0; c < 4; c++) {
              let col = col0 + tn * 4 + c;
              if (col < uniforms.cols) {
                let v = acc${r}[c]${bias};
                result[row * uniforms.cols + col] = ${value};
              }
            }
          }
        }`).join("");
    return `
      var<workgroup> tileA : array<vec4<f32>, ${(tileM * TILE_K) / 4}>;
      var<workgroup> tileB : array<vec4<f32>, ${(TILE_K * tileN) / 4}>;
      var<workgroup> rowN : array<i32, ${tileM}>;
      var<workgroup> rowH : array<i32, ${tileM}>;
      var<workgroup> rowW : array<i32, ${tileM}>;
      var<workgroup> colI : array<i32, ${TILE_K}>;
      var<workgroup> colJ : array<i32, ${TILE_K}>;
      var<workgroup> colC : array<i32, ${TILE_K}>;

      fn main() {
        let li = i32(localIndex);
        let tn = li % ${threadsN};
        let tm = li / ${threadsN};
        let col0 = i32(workgroupId.x) * ${tileN};
        let row0 = i32(workgroupId.y) * ${tileM};
        let dstHW = uniforms.dstH * uniforms.dstW;
        for (var i = li; i < ${tileM}; i += ${threads}) {
          let p = min(row0 + i, uniforms.rows - 1);
          let n = p / dstHW;
          let rem = p - n * dstHW;
          let oh = rem / uniforms.dstW;
          let ow = rem - oh * uniforms.dstW;
          rowN[i] = n;
          ${rowOrigin}
        }
        // A is loaded with k fastest (consecutive channels of a pixel), B with columns fastest.
        let kLane = li % ${TILE_K};
        let rLane = li / ${TILE_K};
        let cLane = li % ${tileN};
        let kbLane = li / ${tileN};
        let col = col0 + cLane;
        let colOk = col < uniforms.cols;

        var acc0 = vec4<f32>(0.0);
        var acc1 = vec4<f32>(0.0);
        var acc2 = vec4<f32>(0.0);
        var acc3 = vec4<f32>(0.0);
        let kTiles = (uniforms.kd + ${TILE_K - 1}) / ${TILE_K};
        for (var t = 0; t < kTiles; t++) {
          let k0 = t * ${TILE_K};
          if (li < ${TILE_K}) {
            let kIdx = k0 + li;
            let t = kIdx / uniforms.srcC;
            colC[li] = kIdx - t * uniforms.srcC;
            let tap = ${tapOf};
            colI[li] = tap / uniforms.kw;
            colJ[li] = tap % uniforms.kw;
          }
          workgroupBarrier();
          let kOk = k0 + kLane < uniforms.kd;
          for (var e = 0; e < ${(tileM * TILE_K) / threads}; e++) {
            let r = rLane + ${threads / TILE_K} * e;
            let kk = kLane;
            var av = 0.0;
            if (kOk && row0 + r < uniforms.rows) {${this.#loadA()}
            }
            tileA[r * ${k4} + kk / 4][kk % 4] = av;
          }
          for (var e = 0; e < ${(TILE_K * tileN) / threads}; e++) {
            let kk = kbLane + ${threads / tileN} * e;
            var bv = 0.0;
            if (colOk && k0 + kk < uniforms.kd) {
              bv = w[${this.#indexB()}];
            }
            ${storeB}
          }
          workgroupBarrier();
          for (var q = 0; q < ${k4}; q++) {
            let a0 = tileA[(tm * 4) * ${k4} + q];
            let a1 = tileA[(tm * 4 + 1) * ${k4} + q];
            let a2 = tileA[(tm * 4 + 2) * ${k4} + q];
            let a3 = tileA[(tm * 4 + 3) * ${k4} + q];
            let b0 = ${readB(0)};
            let b1 = ${readB(1)};
            let b2 = ${readB(2)};
            let b3 = ${readB(3)};
            ${accumulate}
          }
          workgroupBarrier();
        }${stores}
      }
    `;
  }
}
