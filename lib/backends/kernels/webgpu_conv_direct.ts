/**
 * A direct WGSL program for the two stride-1 convolutions that produce an image, NHWC, with channel counts that
 * are multiples of 4: the forward pass (`Conv2D`, `FusedConv2D`) and the input gradient (`Conv2DBackpropInput`).
 * Each workgroup loads the patch of its source image (x, or dy) under a block of output pixels into workgroup
 * memory once, as `vec4`s of channels, and every tap reads it there. The implicit GEMM (webgpu_conv_gemm.ts)
 * instead gathers an im2col tile per 16 values of Kd, with an address and a bounds test for each value, so most
 * of its instructions are integer ones; here a thread's 16 outputs (4 pixels × 4 channels) take 16 multiply-adds
 * per 4 patch reads and 4 filter reads, and the indices are computed once per tap.
 *
 * The sums are taken in the order of tfjs's own shaders, as the GEMM program's are, so the results are theirs,
 * bit for bit (tests/lib/backends/kernels/webgpu_conv2d_test.ts):
 * - `forward`: each output adds its kh·kw·Ci products one at a time with `fma`, taps in row-major order and
 *   channels within a tap (`conv2d_mm`);
 * - `inputGrad`: the taps last to first (a convolution of dy with the flipped filter) and, within a tap, a `dot`
 *   of four channels of dy at a time added to the sum (`Conv2DDerInputProgram`).
 *
 * @example
 * ```ts
 * const c = nhwcConvInfo(x.shape, filter.shape, attrs);
 * if (convDirectFits("forward", c)) {
 *   const program = new ConvDirectProgram("forward", c);
 *   runProgram(backend, program, [x, filter], program.uniformValues());
 * }
 * ```
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs-core";
import {
  ceilDiv,
  ElementwiseProgram,
  MAX_WORKGROUP_THREADS,
  type WebGpuProgram,
  WORKGROUP_STORAGE_BYTES,
} from "../webgpu/program.ts";
import type { ConvGemmEpilogue, ConvGemmMode } from "./webgpu_conv_gemm.ts";

/** The output block of one workgroup: tileH × tileW pixels of one image, tileN output channels. */
export interface ConvDirectTile {
  tileH: number;
  tileW: number;
  tileN: number;
  threads: number;
}

/** The source and output images of `mode` of `c`: [height, width, channels] each. */
function images(mode: ConvGemmMode, c: tf.backend_util.Conv2DInfo): { src: number[]; dst: number[] } {
  const x = [c.inHeight, c.inWidth, c.inChannels], y = [c.outHeight, c.outWidth, c.outChannels];
  return mode === "forward" ? { src: x, dst: y } : { src: y, dst: x };
}

/**
 * The block for `mode` of the convolution `c`: tileN = the output image's channels up to 64, tileW = 8 pixels
 * (two groups of 4), and tileH the most rows of 8 (at most 8) whose patch fits in 16 KiB and whose threads (one
 * per 4 pixels and 4 channels) are at most 256. Null when the program does not cover `c`: a stride or dilation
 * other than 1, channel counts that are not multiples of 4, or not even one row that fits (too many source
 * channels).
 *
 * @example
 * convDirectTile("forward", c) // ResNet20's 64-channel layers: { tileH: 4, tileW: 8, tileN: 64, threads: 128 }
 */
export function convDirectTile(mode: ConvGemmMode, c: tf.backend_util.Conv2DInfo): ConvDirectTile | null {
  const unit = c.strideHeight === 1 && c.strideWidth === 1 && c.dilationHeight === 1 && c.dilationWidth === 1;
  if (!unit || c.inChannels % 4 !== 0 || c.outChannels % 4 !== 0) return null;
  const { src, dst } = images(mode, c);
  const tileN = Math.min(64, dst[2]), tileW = 8;
  for (let tileH = 8; tileH >= 1; tileH /= 2) {
    const patch = (tileH + c.filterHeight - 1) * (tileW + c.filterWidth - 1) * src[2] * 4;
    const threads = (tileH * tileW / 4) * (tileN / 4);
    if (patch <= WORKGROUP_STORAGE_BYTES && threads <= MAX_WORKGROUP_THREADS) {
      return { tileH, tileW, tileN, threads };
    }
  }
  return null;
}

/**
 * Whether {@link ConvDirectProgram} computes `mode` of `c`: stride 1, no dilation, channel counts that are
 * multiples of 4 and a patch that fits ({@link convDirectTile}).
 */
export function convDirectFits(mode: ConvGemmMode, c: tf.backend_util.Conv2DInfo): boolean {
  return convDirectTile(mode, c) !== null;
}

/**
 * How the input gradient reads its filter: `hwio` is tfjs's [kh, kw, Ci, Co], where the threads of a workgroup
 * (side by side in dx's channels) read rows Co apart; `hwoi` is its transpose [kh, kw, Co, Ci]
 * ({@link FilterTransposeProgram}), where they read adjacent `vec4`s. Both give the same bits.
 */
export type FilterLayout = "hwio" | "hwoi";

/**
 * The transpose of a filter [kh, kw, Ci, Co] to [kh, kw, Co, Ci], for the input gradient's `hwoi` reads.
 *
 * @example
 * ```ts
 * const t = new FilterTransposeProgram(filter.shape);
 * const wT = runProgram(backend, t, [filter]);
 * ```
 */
export class FilterTransposeProgram extends ElementwiseProgram {
  /** Program for a filter of shape [kh, kw, Ci, Co]. */
  constructor(filterShape: number[]) {
    const [kh, kw, ci, co] = filterShape;
    super(
      `ourFilterTranspose_${ci}x${co}`,
      ["w"],
      "",
      [kh, kw, co, ci],
      `let tap = index / ${ci * co};
       let rest = index - tap * ${ci * co};
       let o = rest / ${ci};
       let i = rest - o * ${ci};
       let out = w[(tap * ${ci} + i) * ${co} + o];`,
    );
  }
}

/**
 * The output image [N, H, W, C] of `mode` of a stride-1 convolution: inputs `x` (the source image: x, or dy), `w`
 * (the filter [kh, kw, Ci, Co], or for the input gradient in `hwoi` layout its transpose) and, forward only,
 * optionally `bias`.
 */
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
  readonly #mode: ConvGemmMode;
  readonly #c: tf.backend_util.Conv2DInfo;
  readonly #tile: ConvDirectTile;
  readonly #epilogue: ConvGemmEpilogue;
  readonly #layout: FilterLayout;

  /**
   * Program for `mode` of the convolution `c` (which {@link convDirectFits}); `epilogue`: bias and ReLU (forward
   * only); `layout`: how the input gradient's filter is laid out (the forward pass takes `hwio`).
   */
  constructor(
    mode: ConvGemmMode,
    c: tf.backend_util.Conv2DInfo,
    epilogue: ConvGemmEpilogue = { bias: false, relu: false },
    layout: FilterLayout = "hwio",
  ) {
    const tile = convDirectTile(mode, c);
    if (!tile) throw new Error(`ConvDirectProgram: ${mode} does not fit (convDirectFits)`);
    if (mode === "inputGrad" && (epilogue.bias || epilogue.relu)) {
      throw new Error("ConvDirectProgram: the input gradient has no bias or activation epilogue");
    }
    if (mode === "forward" && layout !== "hwio") {
      throw new Error("ConvDirectProgram: the forward pass reads hwio");
    }
    this.#tile = tile;
    const { src, dst } = images(mode, c);
    [this.#mode, this.#c, this.#epilogue, this.#layout] = [mode, c, epilogue, layout];
    this.outputShape = [c.batchSize, ...dst];
    this.workgroupSize = [tile.threads, 1, 1];
    const tiles = ceilDiv(dst[0], tile.tileH) * ceilDiv(dst[1], tile.tileW);
    this.dispatch = [ceilDiv(dst[2], tile.tileN), tiles, c.batchSize];
    this.variableNames = epilogue.bias ? ["x", "w", "bias"] : ["x", "w"];
    this.variableComponents = this.variableNames.map(() => 4);
    // Channel counts and the filter size are WGSL constants (the loops over them unroll); sizes are uniforms.
    this.shaderKey = `ourConvDirect_${mode}_${c.filterHeight}x${c.filterWidth}_${src[2]}to${dst[2]}_` +
      `${tile.tileH}x${tile.tileW}x${tile.tileN}${epilogue.bias ? "_bias" : ""}${
        epilogue.relu ? "_relu" : ""
      }${layout === "hwoi" ? "_hwoi" : ""}`;
  }

  /**
   * The uniform values, in the order {@link uniforms} declares them. The input gradient reads dy with
   * kh − 1 − top rows (kw − 1 − left columns) of padding, the flipped filter's.
   */
  uniformValues(): number[] {
    const c = this.#c, { src, dst } = images(this.#mode, c);
    const [top, left] = this.#mode === "forward"
      ? [c.padInfo.top, c.padInfo.left]
      : [c.filterHeight - 1 - c.padInfo.top, c.filterWidth - 1 - c.padInfo.left];
    return [src[0], src[1], dst[0], dst[1], top, left, ceilDiv(dst[1], this.#tile.tileW)];
  }

  /** WGSL that adds tap (i, j)'s products of channels 4·c4 … 4·c4 + 3 of the patch pixels x0…x3 to acc0…acc3. */
  #accumulate(): string {
    const c = this.#c, lanes = ["x", "y", "z", "w"], q4 = [0, 1, 2, 3], co4 = c.outChannels / 4;
    if (this.#mode === "forward") {
      // b_q: the 4 output channels of filter row k + q (input channel 4·c4 + q of tap (i, j)).
      return `
                let k = (i * ${c.filterWidth} + j) * ${c.inChannels} + c4 * 4;
                ${q4.map((q) => `let b${q} = w[(k + ${q}) * ${co4} + col4];`).join("\n                ")}
                ${
        q4.map((p) => lanes.map((l, q) => `acc${p} = fma(vec4<f32>(x${p}.${l}), b${q}, acc${p});`).join(" "))
          .join("\n                ")
      }`;
    }
    // b_q: filter values of tap (kh−1−i, kw−1−j), dx channel 4·col4 + q, dy channels 4·c4 … 4·c4 + 3. In the
    // hwoi layout they are lane q of t_0 … t_3, the rows of dy channels 4·c4 + r (dx channels 4·col4 …).
    const tap = `let tap = (${c.filterHeight - 1} - i) * ${c.filterWidth} + ${c.filterWidth - 1} - j;`;
    const filterValues = this.#layout === "hwio"
      ? `let k = tap * ${c.inChannels} + col4 * 4;
                ${q4.map((q) => `let b${q} = w[(k + ${q}) * ${co4} + c4];`).join("\n                ")}`
      : `let k = tap * ${c.outChannels} + c4 * 4;
                ${
        q4.map((r) => `let t${r} = w[(k + ${r}) * ${c.inChannels / 4} + col4];`).join("\n                ")
      }
                ${
        q4.map((q) => `let b${q} = vec4<f32>(${q4.map((r) => `t${r}.${lanes[q]}`).join(", ")});`)
          .join("\n                ")
      }`;
    return `
                ${tap}
                ${filterValues}
                ${
      q4.map((p) => `acc${p} = acc${p} + vec4<f32>(${q4.map((q) => `dot(x${p}, b${q})`).join(", ")});`)
        .join("\n                ")
    }`;
  }

  getUserCode(): string {
    const c = this.#c, { tileH, tileW, tileN, threads } = this.#tile;
    const { src, dst } = images(this.#mode, c);
    const [kh, kw, in4, out4] = [c.filterHeight, c.filterWidth, src[2] / 4, dst[2] / 4];
    const patchW = tileW + kw - 1, patchH = tileH + kh - 1;
    const quadsW = tileW / 4, colQuads = tileN / 4;
    const bias = this.#epilogue.bias ? " + bias[col4]" : "";
    const value = (p: number) => {
      const v = `acc${p}${bias}`;
      return this.#epilogue.relu ? `select(${v}, vec4<f32>(0.0), ${v} < vec4<f32>(0.0))` : v;
    };
    const stores = [0, 1, 2, 3].map((p) => `
          if (ow0 + ${p} < uniforms.outW) {
            result[((n * uniforms.outH + oh) * uniforms.outW + ow0 + ${p}) * ${out4} + col4] = ${value(p)};
          }`).join("");
    return `
      var<workgroup> inPatch : array<vec4<f32>, ${patchH * patchW * in4}>;

      fn main() {
        let li = i32(localIndex);
        let n = i32(workgroupId.z);
        let tileRow = i32(workgroupId.y) / uniforms.tilesW;
        let tileCol = i32(workgroupId.y) - tileRow * uniforms.tilesW;
        let oh0 = tileRow * ${tileH};
        let ow0Tile = tileCol * ${tileW};
        // The patch: source rows oh0 − padTop … and columns ow0 − padLeft …, zeros outside the image.
        let ih0 = oh0 - uniforms.padTop;
        let iw0 = ow0Tile - uniforms.padLeft;
        for (var e = li; e < ${patchH * patchW * in4}; e += ${threads}) {
          let pixel = e / ${in4};
          let c4 = e - pixel * ${in4};
          let ph = pixel / ${patchW};
          let ih = ih0 + ph;
          let iw = iw0 + pixel - ph * ${patchW};
          var v = vec4<f32>(0.0);
          if (ih >= 0 && ih < uniforms.inH && iw >= 0 && iw < uniforms.inW) {
            v = x[((n * uniforms.inH + ih) * uniforms.inW + iw) * ${in4} + c4];
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
        if (col4 < ${out4}) {
          for (var i = 0; i < ${kh}; i++) {
            for (var j = 0; j < ${kw}; j++) {
              let at = ((th + i) * ${patchW} + tw + j) * ${in4};
              for (var c4 = 0; c4 < ${in4}; c4++) {
                let x0 = inPatch[at + c4];
                let x1 = inPatch[at + ${in4} + c4];
                let x2 = inPatch[at + ${2 * in4} + c4];
                let x3 = inPatch[at + ${3 * in4} + c4];${this.#accumulate()}
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
