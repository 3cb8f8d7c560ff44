/**
 * Pearson and Spearman correlation coefficients.
 *
 * @module
 */
import { type Numbers, pairedMoments, requireFinite } from "./descriptive.ts";
import { averageRanks, fillAverageRanks } from "./ranks.ts";

function requirePairs(x: Numbers, y: Numbers, what: string): void {
  if (x.length !== y.length) throw new Error(`${what}: x has ${x.length} values but y has ${y.length}`);
  requireFinite(x, 2, `${what} (x)`);
  requireFinite(y, 2, `${what} (y)`);
}

/**
 * Pearson's product-moment correlation r = Σ(x−x̄)(y−ȳ) / √(Σ(x−x̄)² Σ(y−ȳ)²). NaN when x or y is constant
 * (the correlation is undefined there). Needs n ≥ 2 paired finite values.
 *
 * @example
 * ```ts
 * pearson([1, 2, 3], [2, 4, 7]); // ≈ 0.9934
 * ```
 */
export function pearson(x: Numbers, y: Numbers): number {
  requirePairs(x, y, "pearson");
  const { sxx, syy, sxy } = pairedMoments(x, y);
  if (sxx === 0 || syy === 0) return NaN;
  // Rounding can push |r| a hair past 1 for exactly collinear data.
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/**
 * Spearman's rank correlation: Pearson's r of the average ranks (ties share the mean rank, which is the
 * tie-corrected coefficient, not the 1 − 6Σd²/(n(n²−1)) shortcut). NaN when either variable is constant.
 *
 * @example
 * ```ts
 * spearman([1, 2, 3, 4], [1, 3, 2, 4]); // 0.8
 * ```
 */
export function spearman(x: Numbers, y: Numbers): number {
  requirePairs(x, y, "spearman");
  return pearson(averageRanks(x), averageRanks(y));
}

/**
 * {@link spearman} for a resampling loop: the returned function keeps its rank buffers between calls of one
 * length instead of allocating four typed arrays a call, with the same value to the bit.
 *
 * @example
 * ```ts
 * const rho = spearmanStatistic();
 * rho([1, 2, 3, 4], [1, 3, 2, 4]); // 0.8, as spearman
 * ```
 */
export function spearmanStatistic(): (x: Numbers, y: Numbers) => number {
  let rx = new Float64Array(0), ry = new Float64Array(0), order = new Int32Array(0);
  return (x, y) => {
    requirePairs(x, y, "spearman");
    if (rx.length !== x.length) {
      rx = new Float64Array(x.length);
      ry = new Float64Array(x.length);
      order = new Int32Array(x.length);
    }
    return pearson(fillAverageRanks(x, rx, order), fillAverageRanks(y, ry, order));
  };
}
