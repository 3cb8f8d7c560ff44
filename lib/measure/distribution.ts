/**
 * Distribution summaries for metrics files and plot data: mean, sample standard deviation, extremes, quantiles
 * (lib/stats, type 7) and a fixed-range histogram.
 *
 * @module
 */
import { mean, quantileSorted, requireFinite, sampleStd } from "../stats/descriptive.ts";

/** Summary of a distribution, as written to metrics files. */
export interface Description {
  n: number;
  mean: number;
  /** Sample standard deviation (divisor n − 1); 0 for a single value. */
  std: number;
  min: number;
  median: number;
  max: number;
  /** Quantile value by probability, keyed by the probability as text (e.g. "0.05"). */
  quantiles: Record<string, number>;
}

/** Default quantile probabilities of {@link describe}. */
export const DEFAULT_QUANTILES = [0.05, 0.25, 0.5, 0.75, 0.95] as const;

/**
 * Mean, std, extremes and quantiles of a non-empty list of finite numbers.
 *
 * @example
 * describe([1, 2, 3, 4]).median; // 2.5
 */
export function describe(
  values: ArrayLike<number>,
  quantiles: readonly number[] = DEFAULT_QUANTILES,
): Description {
  requireFinite(values, 1, "describe");
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  return {
    n,
    mean: mean(sorted),
    std: n > 1 ? sampleStd(sorted) : 0,
    min: sorted[0],
    median: quantileSorted(sorted, 0.5),
    max: sorted[n - 1],
    quantiles: Object.fromEntries(quantiles.map((p) => [String(p), quantileSorted(sorted, p)])),
  };
}

/** Histogram with equal-width bins: `edges` has bins + 1 entries, `counts` bins. */
export interface Histogram {
  edges: number[];
  counts: number[];
}

/**
 * Counts of `values` in `bins` equal bins over [lo, hi]; bin i is [edges[i], edges[i+1]), the last bin also
 * holds hi. Values outside [lo, hi] are an error.
 *
 * @example
 * histogram([0, 0.2, 0.5, 1], 2, 0, 1); // { edges: [0, 0.5, 1], counts: [2, 2] }
 */
export function histogram(values: ArrayLike<number>, bins: number, lo: number, hi: number): Histogram {
  if (!Number.isInteger(bins) || bins < 1) throw new Error(`histogram: bins must be ≥ 1, got ${bins}`);
  if (!(hi > lo)) throw new Error(`histogram: need lo < hi, got [${lo}, ${hi}]`);
  const counts = new Array(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (!(x >= lo && x <= hi)) throw new Error(`histogram: value ${x} is outside [${lo}, ${hi}]`);
    counts[Math.min(Math.floor(((x - lo) / (hi - lo)) * bins), bins - 1)]++;
  }
  return { edges: Array.from({ length: bins + 1 }, (_, i) => lo + ((hi - lo) * i) / bins), counts };
}
