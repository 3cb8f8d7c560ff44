/**
 * The weather family (docs/method.md §4.3.3): snow, frost, fog. (brightness, also "weather" in the benchmark's
 * grouping, lives in color.ts with the other HSV operation.)
 *
 * @module
 */
import type { Rng } from "../random.ts";
import { frostTexture } from "./frost_texture.ts";
import { clamp01, gray, type Img, zeros } from "./image.ts";
import { motionBlurImage } from "./motion.ts";
import { plasmaFractal } from "./plasma.ts";
import { clippedZoom } from "./resample.ts";

/** Parameters of snow (docs/method.md §4.3.3 item 10). */
export interface SnowParams {
  mean: number;
  std: number;
  zoom: number;
  threshold: number;
  mbRadius: number;
  mbSigma: number;
  blend: number;
}

/**
 * snow: a one-channel layer L ~ N(μ, σ²), clipped-zoomed, thresholded, truncated to 8 bit, motion-blurred at
 * an angle in (−135°, −45°) and rounded to 8 bit (the reference's PNG/ImageMagick round trip); the image is
 * brightened to blend·x + (1−blend)·max(x, 1.5·gray(x) + 0.5) and the output is clip(x + L + rot180(L)).
 * On gray images gray(x) = x.
 */
export function snow(img: Img, p: SnowParams, rng: Rng): Img {
  const { h, w, c } = img;
  const layer = zeros(h, w, 1);
  for (let i = 0; i < h * w; i++) layer.data[i] = rng.normal(p.mean, p.std);
  const zoomed = clippedZoom(layer, p.zoom);
  for (let i = 0; i < h * w; i++) {
    const v = zoomed.data[i] < p.threshold ? 0 : zoomed.data[i];
    zoomed.data[i] = Math.floor(clamp01(v) * 255) / 255;
  }
  const blurred = motionBlurImage(zoomed, p.mbRadius, p.mbSigma, rng.uniform() * 90 - 135).data;
  for (let i = 0; i < h * w; i++) blurred[i] = Math.round(clamp01(blurred[i]) * 255) / 255;
  const g = gray(img);
  const out = zeros(h, w, c);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const pix = y * w + x;
      const snowAt = blurred[pix] + blurred[(h - 1 - y) * w + (w - 1 - x)];
      const lift = 1.5 * g[pix] + 0.5;
      for (let ch = 0; ch < c; ch++) {
        const v = img.data[pix * c + ch];
        out.data[pix * c + ch] = clamp01(p.blend * v + (1 - p.blend) * Math.max(v, lift) + snowAt);
      }
    }
  }
  return out;
}

/**
 * frost (a, b): picks one of the five frost pictures uniformly, resized by `scale`, crops a random S×S window
 * (start row in [0, H_f − S), column in [0, W_f − S)) and returns clip(a·x + b·frost) (the reference does this
 * in 0–255 units, which is the same after scaling). Gray images use the frost picture's luma. The pictures are
 * synthetic stand-ins (see frost_texture.ts).
 */
export function frost(img: Img, a: number, b: number, scale: number, rng: Rng): Img {
  const tex = frostTexture(rng.int(5), scale);
  const { h, w, c } = img;
  if (tex.h <= h || tex.w <= w) {
    throw new Error(`frost: the ${tex.w}x${tex.h} frost texture is too small for ${w}x${h} images`);
  }
  const top = rng.int(tex.h - h), left = rng.int(tex.w - w);
  const out = zeros(h, w, c);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const t = ((top + y) * tex.w + left + x) * 3;
      const f = c === 3
        ? [tex.data[t], tex.data[t + 1], tex.data[t + 2]]
        : [0.299 * tex.data[t] + 0.587 * tex.data[t + 1] + 0.114 * tex.data[t + 2]];
      for (let ch = 0; ch < c; ch++) {
        const i = (y * w + x) * c + ch;
        out.data[i] = clamp01(a * img.data[i] + b * f[ch]);
      }
    }
  }
  return out;
}

/**
 * fog (t, decay): one plasma map P (side `mapSize`, top-left S×S used) for all channels;
 * clip((x + t·P)·m/(m + t)) with m the maximum of the whole clean image.
 */
export function fog(img: Img, strength: number, decay: number, mapSize: number, rng: Rng): Img {
  const { h, w, c } = img;
  if (mapSize < Math.max(h, w)) {
    throw new Error(`fog: plasma map ${mapSize} is smaller than the ${h}x${w} image`);
  }
  const plasma = plasmaFractal(mapSize, decay, rng);
  let m = 0;
  for (const v of img.data) m = Math.max(m, v);
  const out = zeros(h, w, c);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const add = strength * plasma[y * mapSize + x];
      for (let ch = 0; ch < c; ch++) {
        const i = (y * w + x) * c + ch;
        out.data[i] = clamp01(((img.data[i] + add) * m) / (m + strength));
      }
    }
  }
  return out;
}
