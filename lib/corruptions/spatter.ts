/**
 * spatter (extra; docs/method.md §4.3.4 item 19), parameters (μ, σ, blur σ_b, threshold τ, k, mode).
 * A liquid layer L ~ N(μ, σ²) (H×W) is Gaussian-blurred with σ_b and zeroed below τ. Mode 0 ("water") draws
 * pale turquoise (175, 238, 238) rims from the layer's Canny edges; mode 1 ("mud") covers the blobs with mud
 * brown (63, 42, 20). Gray images use the colours' luma.
 *
 * @module
 */
import type { Rng } from "../random.ts";
import { boxBlur, gaussianFilter } from "./filters.ts";
import { clamp01, colourFor, type Img, zeros } from "./image.ts";
import { canny, distanceTransform, equalizeHist, filter2dU8 } from "./opencv8u.ts";

/** Parameters of spatter. */
export interface SpatterParams {
  mean: number;
  std: number;
  blur: number;
  threshold: number;
  k: number;
  mode: 0 | 1;
}

const WATER = [175 / 255, 238 / 255, 238 / 255] as const;
const MUD = [63 / 255, 42 / 255, 20 / 255] as const;
const EMBOSS = [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]];

/** The water mask M = k·(L8·D)/max(L8·D) of mode 0 (all zero when the layer has no liquid). */
function waterMask(layer: Float32Array, h: number, w: number, k: number): Float64Array {
  // Clamped: NumPy's out-of-range uint8 cast is undefined; the blurred layer stays below 1 in practice.
  const l8 = Uint8Array.from(layer, (v) => Math.min(255, Math.floor(v * 255)));
  const edges = canny(l8, h, w, 50, 150);
  const notEdge = edges.map((v) => 255 - v);
  const dist = distanceTransform(notEdge, h, w).map((v) => Math.min(v, 20));
  const d8 = Uint8Array.from(boxBlur(dist, h, w), (v) => Math.floor(v));
  const embossed = filter2dU8(equalizeHist(d8), h, w, EMBOSS);
  const soft = boxBlur(Float64Array.from(embossed), h, w);
  const m = new Float64Array(h * w);
  let max = 0;
  for (let i = 0; i < m.length; i++) max = Math.max(max, m[i] = l8[i] * soft[i]);
  if (max > 0) { for (let i = 0; i < m.length; i++) m[i] = (k * m[i]) / max; }
  return m;
}

/** spatter: see the module doc. */
export function spatter(img: Img, p: SpatterParams, rng: Rng): Img {
  const { h, w, c } = img;
  const raw = zeros(h, w, 1);
  for (let i = 0; i < h * w; i++) raw.data[i] = rng.normal(p.mean, p.std);
  const layer = gaussianFilter(raw, p.blur).data;
  for (let i = 0; i < layer.length; i++) if (layer[i] < p.threshold) layer[i] = 0;
  const out = zeros(h, w, c);
  if (p.mode === 0) {
    const m = waterMask(layer, h, w, p.k);
    const colour = colourFor(WATER, c);
    for (let i = 0; i < out.data.length; i++) {
      out.data[i] = clamp01(img.data[i] + m[Math.floor(i / c)] * colour[i % c]);
    }
  } else {
    const blobs = zeros(h, w, 1);
    for (let i = 0; i < h * w; i++) blobs.data[i] = layer[i] > p.threshold ? 1 : 0;
    const m = gaussianFilter(blobs, p.k).data;
    const colour = colourFor(MUD, c);
    for (let i = 0; i < out.data.length; i++) {
      const mi = m[Math.floor(i / c)] < 0.8 ? 0 : m[Math.floor(i / c)];
      out.data[i] = clamp01(img.data[i] * (1 - mi) + mi * colour[i % c]);
    }
  }
  return out;
}
