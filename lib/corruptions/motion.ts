/**
 * ImageMagick-style motion blur, ported from the NumPy substitute of `imagecorruptions` (docs/method.md §4.3.2
 * item 7, §4): width w = 2·ceil(R)+1, one-sided half-Gaussian taps k_i ∝ exp(−i²/2σ²) (i = 0..w−1,
 * normalised), offsets dx_i = ceil(i·cos θ − 0.5), dy_i = ceil(i·sin θ − 0.5) (x = column, y = row pointing
 * down), out(x, y) = Σ k_i · in(x + dx_i, y + dy_i) with edge replication. Like the port, it stops adding taps
 * once an offset reaches the image side, without renormalising.
 *
 * Substitution: the reference shells out to ImageMagick through a PNG; the callers round the result to 8 bit
 * to mimic that round trip.
 *
 * @module
 */
import { borderIndex } from "./border.ts";
import { type Img, zeros } from "./image.ts";

/** The normalised taps and (dx, dy) offsets of the motion kernel for radius R, σ and angle θ in degrees. */
export function motionKernel(
  radius: number,
  sigma: number,
  angleDeg: number,
): { k: number; dx: number; dy: number }[] {
  const width = 2 * Math.ceil(radius) + 1;
  const theta = (angleDeg * Math.PI) / 180;
  const taps: number[] = [];
  for (let i = 0; i < width; i++) taps.push(Math.exp(-(i * i) / (2 * sigma * sigma)));
  const sum = taps.reduce((a, b) => a + b, 0);
  return taps.map((t, i) => ({
    k: t / sum,
    dx: Math.ceil(i * Math.cos(theta) - 0.5) + 0, // + 0 turns −0 into 0
    dy: Math.ceil(i * Math.sin(theta) - 0.5) + 0,
  }));
}

/**
 * Motion blur of every channel along angle θ (degrees). Returns unclipped floats (a convex combination, so
 * already in [0, 1] for [0, 1] input).
 *
 * @example
 * const out = motionBlurImage(img, 6, 1.5, rng.uniform() * 90 - 45);
 */
export function motionBlurImage(img: Img, radius: number, sigma: number, angleDeg: number): Img {
  const { h, w, c } = img;
  const out = zeros(h, w, c);
  for (const t of motionKernel(radius, sigma, angleDeg)) {
    if (Math.abs(t.dy) >= h || Math.abs(t.dx) >= w) break;
    for (let y = 0; y < h; y++) {
      const yy = borderIndex(y + t.dy, h, "nearest");
      for (let x = 0; x < w; x++) {
        const xx = borderIndex(x + t.dx, w, "nearest");
        for (let ch = 0; ch < c; ch++) {
          out.data[(y * w + x) * c + ch] += t.k * img.data[(yy * w + xx) * c + ch];
        }
      }
    }
  }
  return out;
}
