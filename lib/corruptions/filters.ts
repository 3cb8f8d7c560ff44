/**
 * Linear filters with the exact border modes of the reference libraries (docs/method.md §4.2):
 * - {@link gaussianFilter}: scikit-image / SciPy `gaussian_filter` (separable, radius int(truncate·σ + 0.5),
 *   default border `nearest`, σ = 0 is the identity);
 * - {@link correlate2d}: OpenCV `filter2D` (correlation without kernel flip, anchor at the centre, border
 *   reflect-101);
 * - {@link cvGaussianKernel}: the taps of OpenCV `GaussianBlur` with an explicit odd kernel size.
 *
 * @module
 */
import { type Border, borderIndex } from "./border.ts";
import type { Img } from "./image.ts";

/**
 * Normalised 1-D Gaussian taps ∝ exp(−k²/2σ²) for k = −r..r with r = int(truncate·σ + 0.5), as SciPy builds
 * them. σ = 0 gives the single tap [1].
 */
export function gaussianKernel1d(sigma: number, truncate = 4): Float64Array {
  if (!(sigma >= 0)) throw new Error(`gaussianKernel1d: sigma must be ≥ 0, got ${sigma}`);
  if (sigma === 0) return Float64Array.of(1);
  const r = Math.floor(truncate * sigma + 0.5);
  const k = new Float64Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) sum += k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
}

/**
 * Taps of OpenCV `GaussianBlur` for an odd `ksize` and σ > 0: ∝ exp(−(i − (ksize−1)/2)²/2σ²), normalised.
 */
export function cvGaussianKernel(ksize: number, sigma: number): Float64Array {
  if (ksize % 2 !== 1 || !(sigma > 0)) {
    throw new Error(`cvGaussianKernel: needs an odd ksize and sigma > 0, got ${ksize}, ${sigma}`);
  }
  const k = new Float64Array(ksize);
  const mid = (ksize - 1) / 2;
  let sum = 0;
  for (let i = 0; i < ksize; i++) sum += k[i] = Math.exp(-((i - mid) ** 2) / (2 * sigma * sigma));
  for (let i = 0; i < ksize; i++) k[i] /= sum;
  return k;
}

/**
 * Correlates every channel of a planar-or-interleaved HWC buffer with `taps` (odd length, centred) along one
 * axis (`0` rows / vertical, `1` columns / horizontal).
 */
function pass1d(
  src: Float32Array | Float64Array,
  h: number,
  w: number,
  c: number,
  taps: Float64Array,
  axis: 0 | 1,
  border: Border,
): Float64Array {
  const r = (taps.length - 1) / 2;
  const out = new Float64Array(h * w * c);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        for (let k = -r; k <= r; k++) {
          const yy = axis === 0 ? borderIndex(y + k, h, border) : y;
          const xx = axis === 1 ? borderIndex(x + k, w, border) : x;
          s += taps[k + r] * src[(yy * w + xx) * c + ch];
        }
        out[(y * w + x) * c + ch] = s;
      }
    }
  }
  return out;
}

/**
 * Separable Gaussian blur of each channel over the two spatial axes (scikit-image `gaussian` with
 * `multichannel=True`). Returns a new float32 buffer; values are not clipped.
 *
 * @example
 * const blurred = gaussianFilter(img, 0.7); // nearest border, truncate 4
 */
export function gaussianFilter(img: Img, sigma: number, border: Border = "nearest", truncate = 4): Img {
  const taps = gaussianKernel1d(sigma, truncate);
  if (taps.length === 1) return { ...img, data: img.data.slice() };
  const rows = pass1d(img.data, img.h, img.w, img.c, taps, 0, border);
  const both = pass1d(rows, img.h, img.w, img.c, taps, 1, border);
  return { ...img, data: Float32Array.from(both) };
}

/** A 2-D kernel, row-major, odd sides. */
export interface Kernel2d {
  data: Float64Array;
  size: number;
}

/**
 * OpenCV `filter2D`: correlation of each channel with a square odd kernel, anchor at the centre, border
 * reflect-101. Zero taps are skipped, so sparse kernels (disks) are cheap. Values are not clipped.
 */
export function correlate2d(img: Img, kernel: Kernel2d): Img {
  const { h, w, c, data } = img;
  const r = (kernel.size - 1) / 2;
  const taps: { dy: number; dx: number; k: number }[] = [];
  for (let i = 0; i < kernel.size; i++) {
    for (let j = 0; j < kernel.size; j++) {
      const k = kernel.data[i * kernel.size + j];
      if (k !== 0) taps.push({ dy: i - r, dx: j - r, k });
    }
  }
  const out = new Float32Array(h * w * c);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        for (const t of taps) {
          const yy = borderIndex(y + t.dy, h, "reflect101");
          const xx = borderIndex(x + t.dx, w, "reflect101");
          s += t.k * data[(yy * w + xx) * c + ch];
        }
        out[(y * w + x) * c + ch] = s;
      }
    }
  }
  return { h, w, c, data: out };
}

/**
 * 3×3 (or any odd `k`) box mean with border reflect-101 (OpenCV `blur`) on a one-channel H×W buffer.
 */
export function boxBlur(src: Float32Array | Float64Array, h: number, w: number, k = 3): Float64Array {
  const taps = new Float64Array(k).fill(1 / k);
  const rows = pass1d(src, h, w, 1, taps, 0, "reflect101");
  return pass1d(rows, h, w, 1, taps, 1, "reflect101");
}
