/**
 * The blur family (docs/method.md §4.3.2): defocus, glass, motion, zoom blur, and the extra gaussian blur.
 *
 * @module
 */
import type { Rng } from "../random.ts";
import { correlate2d, cvGaussianKernel, gaussianFilter, type Kernel2d } from "./filters.ts";
import { clip01, type Img, zeros } from "./image.ts";
import { motionBlurImage } from "./motion.ts";
import { clippedZoom } from "./resample.ts";

/**
 * Hendrycks' `disk(radius, alias_blur)`: the offsets with X² + Y² ≤ r² on a 17×17 grid (r ≤ 8; else
 * (2r+1)²), normalised to sum 1, then OpenCV-GaussianBlurred (3×3 for r ≤ 8, else 5×5; border reflect-101)
 * with σ = alias_blur.
 */
export function diskKernel(radius: number, aliasBlur: number): Kernel2d {
  const half = radius <= 8 ? 8 : Math.ceil(radius);
  const size = 2 * half + 1;
  const disk = new Float64Array(size * size);
  let count = 0;
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      if ((i - half) ** 2 + (j - half) ** 2 <= radius * radius) {
        disk[i * size + j] = 1;
        count++;
      }
    }
  }
  for (let i = 0; i < disk.length; i++) disk[i] /= count;
  const g = cvGaussianKernel(radius <= 8 ? 3 : 5, aliasBlur);
  const blurred = correlate2d({ data: Float32Array.from(disk), h: size, w: size, c: 1 }, {
    data: Float64Array.from(
      { length: g.length * g.length },
      (_, t) => g[Math.floor(t / g.length)] * g[t % g.length],
    ),
    size: g.length,
  });
  return { data: Float64Array.from(blurred.data), size };
}

/** defocus_blur: correlate each channel with {@link diskKernel}(radius, alias_blur), reflect-101, clip. */
export function defocusBlur(img: Img, radius: number, aliasBlur: number): Img {
  const out = correlate2d(img, diskKernel(radius, aliasBlur));
  clip01(out.data);
  return out;
}

/**
 * glass_blur (σ, δ, iterations): Gaussian blur, truncate to 8 bit, then `iterations` sweeps that move each
 * pixel (h, w), h and w descending from S−δ to δ+1, from a random neighbour (h+dy, w+dx) with dx, dy uniform
 * in −δ..δ−1 (dx drawn first); blur again and clip. On colour images the move is a one-way copy (the NumPy
 * tuple-swap quirk, §3.2); on gray images it is a true swap. Loop bounds use the real image size.
 */
export function glassBlur(img: Img, sigma: number, delta: number, iterations: number, rng: Rng): Img {
  const { h: H, w: W, c } = img;
  const blurred = gaussianFilter(img, sigma);
  const x = Float32Array.from(blurred.data, (v) => Math.floor(Math.min(Math.max(v, 0), 1) * 255));
  for (let it = 0; it < iterations; it++) {
    for (let h = H - delta; h > delta; h--) {
      for (let w = W - delta; w > delta; w--) {
        const dx = rng.int(2 * delta) - delta;
        const dy = rng.int(2 * delta) - delta;
        const a = (h * W + w) * c, b = ((h + dy) * W + (w + dx)) * c;
        for (let ch = 0; ch < c; ch++) {
          const va = x[a + ch];
          x[a + ch] = x[b + ch];
          if (c === 1) x[b + ch] = va;
        }
      }
    }
  }
  for (let i = 0; i < x.length; i++) x[i] /= 255;
  const out = gaussianFilter({ data: x, h: H, w: W, c }, sigma);
  clip01(out.data);
  return out;
}

/**
 * motion_blur (radius, σ): {@link motionBlurImage} at an angle uniform in (−45°, 45°), rounded to 8 bit (the
 * reference's PNG round trip), clipped.
 */
export function motionBlur(img: Img, radius: number, sigma: number, rng: Rng): Img {
  const out = motionBlurImage(img, radius, sigma, rng.uniform() * 90 - 45);
  for (let i = 0; i < out.data.length; i++) {
    out.data[i] = Math.round(Math.min(Math.max(out.data[i], 0), 1) * 255) / 255;
  }
  return out;
}

/**
 * The zoom factors of NumPy `arange(start, stop, step)`: length ceil((stop − start)/step) in floating point,
 * values start + i·step, so arange(1, 1.06, 0.01) has 7 values (docs/method.md §4.3.2 item 8).
 */
export function arange(start: number, stop: number, step: number): number[] {
  const n = Math.max(0, Math.ceil((stop - start) / step));
  return Array.from({ length: n }, (_, i) => start + i * step);
}

/** zoom_blur: clip((x + Σ_z clippedZoom(x, z)) / (|Z| + 1)). */
export function zoomBlur(img: Img, zooms: readonly number[]): Img {
  const acc = Float64Array.from(img.data);
  for (const z of zooms) {
    const zoomed = clippedZoom(img, z).data;
    for (let i = 0; i < acc.length; i++) acc[i] += zoomed[i];
  }
  const out = zeros(img.h, img.w, img.c);
  for (let i = 0; i < acc.length; i++) out.data[i] = acc[i] / (zooms.length + 1);
  clip01(out.data);
  return out;
}

/** gaussian_blur (extra): scikit-image Gaussian with σ (nearest border, truncate 4), clip. */
export function gaussianBlur(img: Img, sigma: number): Img {
  const out = gaussianFilter(img, sigma);
  clip01(out.data);
  return out;
}
