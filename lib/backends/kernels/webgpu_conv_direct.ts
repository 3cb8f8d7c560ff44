/**
 * A direct WGSL program for the forward convolution at stride 1 (`Conv2D`, `FusedConv2D`), NHWC, with channel
 * counts that are multiples of 4: each workgroup loads the input patch under a block of output pixels into
 * workgroup memory once, as `vec4`s of channels, and every tap reads it there. The implicit GEMM
 * (webgpu_conv_gemm.ts) instead gathers an im2col tile per 16 values of Kd, with an address and a bounds test for
 * each value, so most of its instructions are integer ones; here a thread's 16 outputs (4 pixels × 4 channels)
 * take 16 multiply-adds per 4 patch reads and 4 filter reads, and the indices are computed once per tap.
 *
 * Each output adds its kh·kw·Ci products one at a time with `fma`, taps in row-major order and channels within a
 * tap (Kd order), as the GEMM program and tfjs's own `conv2d_mm` shader do, so the results are theirs, bit for
 * bit (tests/lib/backends/kernels/webgpu_conv2d_test.ts).
 *
 * @example
 * ```ts
 * const c = nhwcConvInfo(x.shape, filter.shape, attrs);
 * if (convDirectFits(c)) runProgram(backend, new ConvDirectProgram(c), [x, filter], convDirectUniforms(c));
 * ```
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs-core";
import { ceilDiv, type WebGpuProgram } from "../webgpu/program.ts";
import type { ConvGemmEpilogue } from "./webgpu_conv_gemm.ts";

/** Bytes of workgroup memory a patch may take: WebGPU's guaranteed minimum, so every adapter runs it. */
const PATCH_BYTES = 16384;

/** Most threads of a workgroup. */
const MAX_THREADS = 256;

/** The output block of one workgroup: tileH × tileW pixels of one image, tileN output channels. */
export interface ConvDirectTile {
  tileH: number;
  tileW: number;
  tileN: number;
  threads: number;
}

/**
 * The block for the convolution `c`: tileN = the output channels up to 64, tileW = 8 pixels (two groups of 4), and
 * tileH the most rows of 8 (at most 8) whose patch fits in 16 KiB and whose threads (one per 4 pixels and 4
 * channels) are at most 256; null when not even one row fits (too many input channels).
 *
 * @example
 * convDirectTile(c) // ResNet20's 64-channel layers: { tileH: 4, tileW: 8, tileN: 64, threads: 128 }
 */
export function convDirectTile(c: tf.backend_util.Conv2DInfo): ConvDirectTile | null {
  const tileN = Math.min(64, c.outChannels), tileW = 8;
  for (let tileH = 8; tileH >= 1; tileH /= 2) {
    const patch = (tileH + c.filterHeight - 1) * (tileW + c.filterWidth - 1) * c.inChannels * 4;
    const threads = (tileH * tileW / 4) * (tileN / 4);
    if (patch <= PATCH_BYTES && threads <= MAX_THREADS) return { tileH, tileW, tileN, threads };
  }
  return null;
}

/**
 * Whether {@link ConvDirectProgram} computes `c`: stride 1, no dilation, channel counts that are multiples of 4
 * and a patch that fits.
 */
export function convDirectFits(c: tf.backend_util.Conv2DInfo): boolean {
  return c.strideHeight === 1 && c.strideWidth === 1 && c.dilationHeight === 1 && c.dilationWidth === 1 &&
    c.inChannels % 4 === 0 && c.outChannels % 4 === 0 && convDirectTile(c) !== null;
}

/** The uniform values of {@link ConvDirectProgram} for `c`, in the order it declares them. */
export function convDirectUniforms(c: tf.backend_util.Conv2DInfo): number[] {
  const tile = convDirectTile(c)!;
  return [
    c.inHeight,
    c.inWidth,
    c.outHeight,
    c.outWidth,
    c.padInfo.top,
    c.padInfo.left,
    ceilDiv(c.outWidth, tile.tileW),
  ];
}

/** y [N, Ho, Wo, Co] of x [N, H, W, Ci] and the filter [kh, kw, Ci, Co]; inputs `x`, `w` and optionally `bias`. */
export class ConvDirectProgram implements WebGpuProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [3], y: [1, 2], z: [0] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  variableNames: string[];
  variableComponents: number[];
  outputComponent = 4;
  uniforms = "inH : i32, inW : i32, outH : i32, outW : i32, padTop : i32, padLeft : i32, tilesW : i32, ";
  readonly #c: tf.backend_util.Conv2DInfo;
  readonly #tile: ConvDirectTile;
  readonly #epilogue: ConvGemmEpilogue;

  /** Program for the convolution `c` (which {@link convDirectFits}); `epilogue`: bias and ReLU. */
  constructor(c: tf.backend_util.Conv2DInfo, epilogue: ConvGemmEpilogue = { bias: false, relu: false }) {
    if (!convDirectFits(c)) {
      throw new Error("ConvDirectProgram: the convolution does not fit (convDirectFits)");
    }
    const tile = this.#tile = convDirectTile(c)!;
    this.#c = c;
    this.#epilogue = epilogue;
    this.outputShape = [c.batchSize, c.outHeight, c.outWidth, c.outChannels];
    this.workgroupSize = [tile.threads, 1, 1];
    const tiles = ceilDiv(c.outHeight, tile.tileH) * ceilDiv(c.outWidth, tile.tileW);
    this.dispatch = [ceilDiv(c.outChannels, tile.tileN), tiles, c.batchSize];
    this.variableNames = epilogue.bias ? ["x", "w", "bias"] : ["x", "w"];
    this.variableComponents = this.variableNames.map(() => 4);
    // Channel counts and the filter size are WGSL constants (the loops over them unroll); sizes are uniforms.
    this.shaderKey = `ourConvDirect_${c.filterHeight}x${c.filterWidth}_${c.inChannels}to${c.outChannels}_` +
      `${tile.tileH}x${tile.tileW}x${tile.tileN}${epilogue.bias ? "_bias" : ""}${
        epilogue.relu ? "_relu" : ""
      }`;
  }

  getUserCode(): string {
    const c = this.#c, { tileH, tileW, tileN, threads } = this.#tile;
    const [kh, kw, ci4, co4] = [c.filterHeight, c.filterWidth, c.inChannels / 4, c.outChannels / 4];
    const patchW = tileW + kw - 1, patchH = tileH + kh - 1;
    const quadsW = tileW / 4, colQuads = tileN / 4;
    const lanes = ["x", "y", "z", "w"];
    const fmas = [0, 1, 2, 3].map((p) =>
      lanes.map((l, q) => `acc${p} = fma(vec4<f32>(x${p}.${l}), b${q}, acc${p});`).join(" ")
    ).join("\n              ");
    const bias = this.#epilogue.bias ? " + bias[col4]" : "";
    const value = (p: number) => {
      const v = `acc${p}${bias}`;
      return this.#epilogue.relu ? `select(${v}, vec4<f32>(0.0), ${v} < vec4<f32>(0.0))` : v;
    };
    const stores = [0, 1, 2, 3].map((p) => `
        if (ow0 + ${p} < uniforms.outW) {
          result[((n * uniforms.outH + oh) * uniforms.outW + ow0 + ${p}) * ${co4} + col4] = ${value(p)};
        }`).join("");
    return `
      var<workgroup> inPatch : array<vec4<f32>, ${patchH * patchW * ci4}>;

      fn main() {
        let li = i32(localIndex);
        let n = i32(workgroupId.z);
        let tileRow = i32(workgroupId.y) / uniforms.tilesW;
        let tileCol = i32(workgroupId.y) - tileRow * uniforms.tilesW;
        let oh0 = tileRow * ${tileH};
        let ow0Tile = tileCol * ${tileW};
        // The patch: input rows oh0 − top … and columns ow0 − left …, zeros outside the image.
        let ih0 = oh0 - uniforms.padTop;
        let iw0 = ow0Tile - uniforms.padLeft;
        for (var e = li; e < ${patchH * patchW * ci4}; e += ${threads}) {
          let pixel = e / ${ci4};
          let c4 = e - pixel * ${ci4};
          let ph = pixel / ${patchW};
          let ih = ih0 + ph;
          let iw = iw0 + pixel - ph * ${patchW};
          var v = vec4<f32>(0.0);
          if (ih >= 0 && ih < uniforms.inH && iw >= 0 && iw < uniforms.inW) {
            v = x[((n * uniforms.inH + ih) * uniforms.inW + iw) * ${ci4} + c4];
          }
          inPatch[e] = v;
        }
        workgroupBarrier();
        // This thread: 4 pixels of one row (columns ow0 … ow0 + 3) and 4 output channels (col4).
        let colQuad = li % ${colQuads};
        let pixelQuad = li / ${colQuads};
        let th = pixelQuad / ${quadsW};
        let tw = (pixelQuad - th * ${quadsW}) * 4;
        let col4 = i32(workgroupId.x) * ${colQuads} + colQuad;
        var acc0 = vec4<f32>(0.0);
        var acc1 = vec4<f32>(0.0);
        var acc2 = vec4<f32>(0.0);
        var acc3 = vec4<f32>(0.0);
        if (col4 < ${co4}) {
          for (var i = 0; i < ${kh}; i++) {
            for (var j = 0; j < ${kw}; j++) {
              let at = ((th + i) * ${patchW} + tw + j) * ${ci4};
              let tap = (i * ${kw} + j) * ${ci4 * 4};
              for (var c4 = 0; c4 < ${ci4}; c4++) {
                let x0 = inPatch[at + c4];
                let x1 = inPatch[at + ${ci4} + c4];
                let x2 = inPatch[at + ${2 * ci4} + c4];
                let x3 = inPatch[at + ${3 * ci4} + c4];
                let k = tap + c4 * 4;
                let b0 = w[k * ${co4} + col4];
                let b1 = w[(k + 1) * ${co4} + col4];
                let b2 = w[(k + 2) * ${co4} + col4];
                let b3 = w[(k + 3) * ${co4} + col4];
              ${fmas}
              }
            }
          }
          let oh = oh0 + th;
          let ow0 = ow0Tile + tw;
          if (oh < uniforms.outH) {${stores}
          }
        }
      }
    `;
  }
}
