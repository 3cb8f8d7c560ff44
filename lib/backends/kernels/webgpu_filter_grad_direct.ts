/**
 * A direct WGSL program for the filter gradient of a stride-1 convolution, NHWC, with channel counts that are
 * multiples of 4: dW[i, j, ci, co] = Σ over images n and output pixels (oh, ow) of
 * x[n, oh + i − top, ow + j − left, ci] · dy[n, oh, ow, co].
 *
 * The output pixels are cut into tiles of up to 8×8 of one image. A workgroup owns a block of input and output
 * channels and a run of consecutive tiles (a split); for each tile it loads the patch of x under the tile
 * (tile + filter − 1 on each side, zeros outside the image) and the tile of dy into workgroup memory, as `vec4`s
 * of channels. Each thread owns one tap and 4 input × 4 output channels: per pixel one patch read, one dy read
 * and 16 multiply-adds. The split-K GEMM (webgpu_filter_grad.ts) instead gathers an im2col value with its own
 * address and bounds test for every (tap, channel) of every pixel, and its threads compute 2×2 outputs per
 * two workgroup reads.
 *
 * Each split writes its partial dW to [splits, kh·kw·Ci, Co], and `sumSlices` (webgpu_filter_grad.ts) adds them in a fixed
 * order, so the result is deterministic (no atomics). It is not the stock shader's bits (nor the GEMM's): the
 * sum runs pixel by pixel within a tile, tile by tile within a split, then over splits.
 *
 * @example
 * ```ts
 * const c = nhwcConvInfo(x.shape, filterShape, attrs);
 * const plan = planFilterGradDirect(c);
 * if (plan) {
 *   const program = new FilterGradDirectProgram(c, plan);
 *   const partial = runProgram(backend, program, [x, dy], program.uniformValues());
 *   const dw = sumSlices(backend, partial, plan.splits, filterShape);
 * }
 * ```
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs-core";
import {
  ceilDiv,
  MAX_WORKGROUP_THREADS,
  type WebGpuProgram,
  WORKGROUP_STORAGE_BYTES,
} from "../webgpu/program.ts";

/** Channel block sizes a workgroup may take (each must divide the layer's channel count). */
const BLOCKS = [64, 32, 16, 8, 4];

/** How a direct filter gradient is cut into workgroups. */
export interface FilterGradDirectPlan {
  /** Output pixels per tile (rows, columns). */
  tileH: number;
  tileW: number;
  /** Input and output channels per workgroup. */
  ciBlock: number;
  coBlock: number;
  /** One per (tap, 4 input channels, 4 output channels) of the block. */
  threads: number;
  /** Tiles per image along columns, per image, and in all. */
  tilesW: number;
  tilesPerImage: number;
  tiles: number;
  /** Consecutive tiles per split, and splits (the partial sums that are added). */
  tilesPerSplit: number;
  splits: number;
}

/** The tile edge in 4…8 that wastes the fewest pixels over `size` (the larger on ties), or `size` if smaller. */
function tileEdge(size: number): number {
  if (size <= 8) return size;
  let best = 8;
  for (let t = 8; t >= 4; t--) {
    if (ceilDiv(size, t) * t - size < ceilDiv(size, best) * best - size) best = t;
  }
  return best;
}

/**
 * The plan for the filter gradient of `c`, aiming at about `targetWorkgroups` workgroups with at least
 * `minTilesPerSplit` tiles each. Channel blocks: the largest product ciBlock·coBlock (then the most even) whose
 * threads fit in 256 and whose patch and dy tile fit in 16 KiB. Null when the program does not cover `c`: a
 * stride or dilation other than 1, or channel counts that are not multiples of 4.
 *
 * @example
 * planFilterGradDirect(c) // ResNet20's 3×3 16→16 at batch 128: 8×8 tiles, 16×16 blocks, 144 threads, 512 splits
 */
export function planFilterGradDirect(
  c: tf.backend_util.Conv2DInfo,
  targetWorkgroups = 1024,
  minTilesPerSplit = 4,
): FilterGradDirectPlan | null {
  const unit = c.strideHeight === 1 && c.strideWidth === 1 && c.dilationHeight === 1 && c.dilationWidth === 1;
  if (!unit || c.inChannels % 4 !== 0 || c.outChannels % 4 !== 0) return null;
  const tileH = tileEdge(c.outHeight), tileW = tileEdge(c.outWidth);
  const taps = c.filterHeight * c.filterWidth;
  const patchPixels = (tileH + c.filterHeight - 1) * (tileW + c.filterWidth - 1);
  let best: { ci: number; co: number } | null = null;
  for (const ci of BLOCKS.filter((b) => c.inChannels % b === 0)) {
    for (const co of BLOCKS.filter((b) => c.outChannels % b === 0)) {
      const threads = taps * (ci / 4) * (co / 4);
      const bytes = (patchPixels * ci + tileH * tileW * co) * 4;
      if (threads > MAX_WORKGROUP_THREADS || bytes > WORKGROUP_STORAGE_BYTES) continue;
      const better = !best || ci * co > best.ci * best.co ||
        (ci * co === best.ci * best.co && Math.abs(ci - co) < Math.abs(best.ci - best.co));
      if (better) best = { ci, co };
    }
  }
  if (!best) return null;
  const tilesW = ceilDiv(c.outWidth, tileW), tilesPerImage = ceilDiv(c.outHeight, tileH) * tilesW;
  const tiles = c.batchSize * tilesPerImage;
  const blocks = (c.inChannels / best.ci) * (c.outChannels / best.co);
  const tilesPerSplit = Math.min(
    tiles,
    Math.max(minTilesPerSplit, ceilDiv(tiles * blocks, targetWorkgroups)),
  );
  return {
    tileH,
    tileW,
    ciBlock: best.ci,
    coBlock: best.co,
    threads: taps * (best.ci / 4) * (best.co / 4),
    tilesW,
    tilesPerImage,
    tiles,
    tilesPerSplit,
    splits: ceilDiv(tiles, tilesPerSplit),
  };
}

/** Partial filter gradients [splits, kh·kw·Ci, Co] of a stride-1 convolution: inputs `x` and `dy`. */
export class FilterGradDirectProgram implements WebGpuProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [2], y: [1], z: [0] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  variableNames = ["x", "dy"];
  variableComponents = [4, 4];
  outputComponent = 4;
  uniforms = "inH : i32, inW : i32, outH : i32, outW : i32, padTop : i32, padLeft : i32, tilesW : i32, " +
    "tilesPerImage : i32, tiles : i32, tilesPerSplit : i32, ";
  readonly #c: tf.backend_util.Conv2DInfo;
  readonly #plan: FilterGradDirectPlan;

  /** Program for the filter gradient of `c` cut as `plan` ({@link planFilterGradDirect}). */
  constructor(c: tf.backend_util.Conv2DInfo, plan: FilterGradDirectPlan) {
    [this.#c, this.#plan] = [c, plan];
    this.outputShape = [plan.splits, c.filterHeight * c.filterWidth * c.inChannels, c.outChannels];
    this.workgroupSize = [plan.threads, 1, 1];
    this.dispatch = [c.outChannels / plan.coBlock, c.inChannels / plan.ciBlock, plan.splits];
    // Channel counts, the filter and the tile are WGSL constants (the loops over them unroll); sizes are uniforms.
    this.shaderKey =
      `ourFilterGradDirect_${c.filterHeight}x${c.filterWidth}_${c.inChannels}to${c.outChannels}_` +
      `${plan.tileH}x${plan.tileW}_${plan.ciBlock}x${plan.coBlock}`;
  }

  /** The uniform values, in the order {@link uniforms} declares them. */
  uniformValues(): number[] {
    const c = this.#c, p = this.#plan;
    return [
      c.inHeight,
      c.inWidth,
      c.outHeight,
      c.outWidth,
      c.padInfo.top,
      c.padInfo.left,
      p.tilesW,
      p.tilesPerImage,
      p.tiles,
      p.tilesPerSplit,
    ];
  }

  getUserCode(): string {
    const c = this.#c, p = this.#plan;
    const [kh, kw, in4, out4] = [c.filterHeight, c.filterWidth, c.inChannels / 4, c.outChannels / 4];
    const [ci4, co4, th, tw] = [p.ciBlock / 4, p.coBlock / 4, p.tileH, p.tileW];
    const pw = tw + kw - 1, patch = (th + kh - 1) * pw * ci4, dys = th * tw * co4;
    const lanes = ["x", "y", "z", "w"];
    return `
      var<workgroup> xPatch : array<vec4<f32>, ${patch}>;
      var<workgroup> dyTile : array<vec4<f32>, ${dys}>;

      fn main() {
        let li = i32(localIndex);
        let coFirst4 = i32(workgroupId.x) * ${co4};
        let ciFirst4 = i32(workgroupId.y) * ${ci4};
        let firstTile = i32(workgroupId.z) * uniforms.tilesPerSplit;
        let lastTile = min(firstTile + uniforms.tilesPerSplit, uniforms.tiles);
        // This thread: tap (i, j), input channels 4·(ciFirst4 + myCi4) + q for q < 4, output channels co4.
        let myCo4 = li % ${co4};
        let rest = li / ${co4};
        let myCi4 = rest % ${ci4};
        let tap = rest / ${ci4};
        let i = tap / ${kw};
        let j = tap - i * ${kw};
        var acc0 = vec4<f32>(0.0);
        var acc1 = vec4<f32>(0.0);
        var acc2 = vec4<f32>(0.0);
        var acc3 = vec4<f32>(0.0);
        for (var tile = firstTile; tile < lastTile; tile++) {
          let n = tile / uniforms.tilesPerImage;
          let inImage = tile - n * uniforms.tilesPerImage;
          let tileRow = inImage / uniforms.tilesW;
          let oh0 = tileRow * ${th};
          let ow0 = (inImage - tileRow * uniforms.tilesW) * ${tw};
          // The patch of x: rows oh0 − padTop …, columns ow0 − padLeft …, zeros outside the image.
          for (var e = li; e < ${patch}; e += ${p.threads}) {
            let pixel = e / ${ci4};
            let c4 = e - pixel * ${ci4};
            let ph = pixel / ${pw};
            let ih = oh0 - uniforms.padTop + ph;
            let iw = ow0 - uniforms.padLeft + pixel - ph * ${pw};
            var v = vec4<f32>(0.0);
            if (ih >= 0 && ih < uniforms.inH && iw >= 0 && iw < uniforms.inW) {
              v = x[((n * uniforms.inH + ih) * uniforms.inW + iw) * ${in4} + ciFirst4 + c4];
            }
            xPatch[e] = v;
          }
          // The tile of dy, zeros past the image's edge (so those pixels add nothing).
          for (var e = li; e < ${dys}; e += ${p.threads}) {
            let pixel = e / ${co4};
            let c4 = e - pixel * ${co4};
            let r = pixel / ${tw};
            let oh = oh0 + r;
            let ow = ow0 + pixel - r * ${tw};
            var v = vec4<f32>(0.0);
            if (oh < uniforms.outH && ow < uniforms.outW) {
              v = dy[((n * uniforms.outH + oh) * uniforms.outW + ow) * ${out4} + coFirst4 + c4];
            }
            dyTile[e] = v;
          }
          workgroupBarrier();
          for (var r = 0; r < ${th}; r++) {
            for (var s = 0; s < ${tw}; s++) {
              let xv = xPatch[((r + i) * ${pw} + s + j) * ${ci4} + myCi4];
              let d = dyTile[(r * ${tw} + s) * ${co4} + myCo4];
              ${
      [0, 1, 2, 3].map((q) => `acc${q} = fma(vec4<f32>(xv.${lanes[q]}), d, acc${q});`).join(
        "\n              ",
      )
    }
            }
          }
          workgroupBarrier();
        }
        // Rows of dW: (tap · Ci + input channel); vec4 columns: output channels.
        let base = (i32(workgroupId.z) * ${kh * kw * c.inChannels} + tap * ${c.inChannels} +
          (ciFirst4 + myCi4) * 4) * ${out4} + coFirst4 + myCo4;
        ${[0, 1, 2, 3].map((q) => `result[base + ${q * out4}] = acc${q};`).join("\n        ")}
      }
    `;
  }
}
