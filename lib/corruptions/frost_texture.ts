/**
 * Procedural stand-ins for the frost photographs of the Hendrycks generators.
 *
 * **Project substitution.** The reference frost corruption blends a random crop of one of five photographs
 * (frost1.png 900×600, frost2.png and frost3.png 560×315, frost4.jpg 527×350, frost5.jpg 660×495; frost6 is
 * never chosen; docs/method.md §4.3.3 item 11). Those files are not reachable from this project (no network but
 * the npm registry), so each is replaced by a seeded synthetic texture of the same size: a soft low-frequency
 * haze (plasma fractal, decay 2, scaled to [0.1, 0.4]) plus thin bright ice needles with side branches at
 * ±60°, lightly blurred (σ 0.8), tinted blue-white ×(0.85, 0.93, 1). The textures are fixed (seeded by a
 * constant), resized like the originals (OpenCV bilinear, ×0.2 for 32 px, ×0.3 for 64 px) and cached. Their
 * statistics are not matched to the photographs (unverified); frost accuracies are therefore not comparable
 * with the official CIFAR-10-C / Tiny-ImageNet-C files and are labelled as generated.
 *
 * @module
 */
import { deriveSeed, Rng } from "../random.ts";
import { gaussianFilter } from "./filters.ts";
import { clamp01, type Img, zeros } from "./image.ts";
import { plasmaFractal } from "./plasma.ts";
import { cvResizeLinear } from "./resample.ts";

/** Width × height of the five frost pictures the reference samples from. */
export const FROST_SIZES: readonly { w: number; h: number }[] = [
  { w: 900, h: 600 },
  { w: 560, h: 315 },
  { w: 560, h: 315 },
  { w: 527, h: 350 },
  { w: 660, h: 495 },
];

const TEXTURE_SEED = 20190328; // fixed: the textures are assets, not per-run randomness
const TINT = [0.85, 0.93, 1] as const;

function drawNeedle(
  layer: Float32Array,
  w: number,
  h: number,
  x: number,
  y: number,
  angle: number,
  length: number,
  value: number,
  depth: number,
  rng: Rng,
): void {
  const dx = Math.cos(angle), dy = Math.sin(angle);
  for (let t = 0; t < length; t += 0.5) {
    const px = Math.round(x + t * dx), py = Math.round(y + t * dy);
    if (px < 0 || py < 0 || px >= w || py >= h) break;
    const i = py * w + px;
    if (layer[i] < value) layer[i] = value;
  }
  if (depth === 0) return;
  const branches = 2 + rng.int(4);
  for (let b = 0; b < branches; b++) {
    const t = length * (0.2 + 0.7 * rng.uniform());
    const side = rng.uniform() < 0.5 ? -1 : 1;
    drawNeedle(
      layer,
      w,
      h,
      x + t * dx,
      y + t * dy,
      angle + side * Math.PI / 3,
      length * (0.2 + 0.25 * rng.uniform()),
      value * 0.85,
      depth - 1,
      rng,
    );
  }
}

/** The full-size synthetic frost picture number `index` (0..4), RGB in [0, 1]. */
export function frostPicture(index: number): Img {
  const size = FROST_SIZES[index];
  if (!size) throw new Error(`frostPicture: index must be 0..${FROST_SIZES.length - 1}, got ${index}`);
  const { w, h } = size;
  const rng = new Rng(deriveSeed(TEXTURE_SEED, "frost", index));
  let side = 2;
  while (side < Math.max(w, h)) side *= 2;
  const haze = plasmaFractal(side, 2, rng);
  const needles = new Float32Array(w * h);
  const count = Math.round((w * h) / 500);
  for (let n = 0; n < count; n++) {
    drawNeedle(
      needles,
      w,
      h,
      rng.uniform() * w,
      rng.uniform() * h,
      rng.uniform() * 2 * Math.PI,
      15 + 90 * rng.uniform(),
      0.5 + 0.5 * rng.uniform(),
      2,
      rng,
    );
  }
  const soft = gaussianFilter({ data: needles, h, w, c: 1 }, 0.8).data;
  const out = zeros(h, w, 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = clamp01(0.1 + 0.3 * haze[y * side + x] + soft[y * w + x]);
      for (let ch = 0; ch < 3; ch++) out.data[(y * w + x) * 3 + ch] = v * TINT[ch];
    }
  }
  return out;
}

const cache = new Map<string, Img>();

/** Frost picture `index` resized by `scale` (OpenCV bilinear), cached per (index, scale). */
export function frostTexture(index: number, scale: number): Img {
  const key = `${index}@${scale}`;
  let t = cache.get(key);
  if (!t) {
    t = scale === 1 ? frostPicture(index) : cvResizeLinear(frostPicture(index), scale);
    cache.set(key, t);
  }
  return t;
}
