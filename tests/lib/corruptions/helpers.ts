/** Small helpers shared by the corruption tests. */
import { Rng } from "../../../lib/random.ts";
import type { Img } from "../../../lib/corruptions/image.ts";

/** A seeded random image with values in [0, 1]. */
export function randomImg(h: number, w: number, c: number, seed = 1): Img {
  const rng = new Rng(seed);
  return { h, w, c, data: Float32Array.from({ length: h * w * c }, () => rng.uniform()) };
}

/** A constant image. */
export function constImg(h: number, w: number, c: number, v: number): Img {
  return { h, w, c, data: new Float32Array(h * w * c).fill(v) };
}

/** Mean and standard deviation of `xs`. */
export function meanStd(xs: ArrayLike<number>): { mean: number; std: number } {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  const mean = s / xs.length;
  let v = 0;
  for (let i = 0; i < xs.length; i++) v += (xs[i] - mean) ** 2;
  return { mean, std: Math.sqrt(v / xs.length) };
}

/** Root-mean-square difference of two equal-length arrays. */
export function rms(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s / a.length);
}

/** Asserts |actual − expected| ≤ tol. */
export function assertClose(actual: number, expected: number, tol: number, what = ""): void {
  if (!(Math.abs(actual - expected) <= tol)) {
    throw new Error(`${what} expected ${expected} ± ${tol}, got ${actual}`);
  }
}
