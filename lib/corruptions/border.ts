/**
 * Border modes: maps an out-of-range index to an index inside 0..n-1, for every offset (also ones larger than
 * the image, which large Gaussian radii reach). Names follow docs/method.md §4.2 / §4.6 item 8:
 * - `nearest`: edge replicate (scikit-image `gaussian` default), …a a | a b c | c c…;
 * - `reflect`: half-sample symmetric (SciPy `reflect`), …b a | a b c | c b…;
 * - `reflect101`: whole-sample symmetric (OpenCV default), …c b | a b c | b a….
 *
 * @module
 */

/** A border mode. */
export type Border = "nearest" | "reflect" | "reflect101";

/** Index `i` mapped into 0..n-1 with border mode `mode`. */
export function borderIndex(i: number, n: number, mode: Border): number {
  if (i >= 0 && i < n) return i;
  if (n === 1) return 0;
  switch (mode) {
    case "nearest":
      return i < 0 ? 0 : n - 1;
    case "reflect": {
      const p = 2 * n;
      const m = ((i % p) + p) % p;
      return m < n ? m : p - 1 - m;
    }
    case "reflect101": {
      const p = 2 * n - 2;
      const m = ((i % p) + p) % p;
      return m < n ? m : p - m;
    }
  }
}
