/**
 * Confidence intervals for a mean across replicates (seeds), with Student's t.
 *
 * @module
 */
import { mean, type Numbers, requireFinite, sampleStd } from "./descriptive.ts";
import { tQuantile } from "./t_distribution.ts";

/** A mean with its two-sided confidence interval. */
export interface MeanSummary {
  /** Number of values. */
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1); NaN when n = 1. */
  std: number;
  /** Lower and upper ends of the interval; both NaN when n = 1 (no spread to estimate). */
  lo: number;
  hi: number;
  /** Confidence level, e.g. 0.95. */
  level: number;
}

/**
 * Mean and the t interval x̄ ± t_{(1+level)/2, n−1} · s/√n. With a single value the interval is NaN (not
 * zero-width), so a report cannot mistake one seed for certainty.
 *
 * @example
 * ```ts
 * meanCI([0.50, 0.52, 0.51]); // { n: 3, mean: 0.51, std: 0.01, lo: ≈0.4852, hi: ≈0.5348, level: 0.95 }
 * ```
 */
export function meanCI(xs: Numbers, level = 0.95): MeanSummary {
  if (!(level > 0 && level < 1)) throw new Error(`meanCI: level must be in (0, 1), got ${level}`);
  requireFinite(xs, 1, "meanCI");
  const m = mean(xs);
  if (xs.length === 1) return { n: 1, mean: m, std: NaN, lo: NaN, hi: NaN, level };
  const s = sampleStd(xs);
  const half = tQuantile((1 + level) / 2, xs.length - 1) * s / Math.sqrt(xs.length);
  return { n: xs.length, mean: m, std: s, lo: m - half, hi: m + half, level };
}

/**
 * Groups `(key, value)` pairs by key and summarises each group with {@link meanCI}; groups come back sorted by
 * key (numbers ascending, strings lexicographically).
 *
 * @example
 * ```ts
 * summarizeGroups([{ key: 0, value: 0.5 }, { key: 0, value: 0.6 }, { key: 1, value: 0.4 }]);
 * // [{ key: 0, n: 2, mean: 0.55, … }, { key: 1, n: 1, mean: 0.4, lo: NaN, … }]
 * ```
 */
export function summarizeGroups<K extends number | string>(
  pairs: readonly { key: K; value: number }[],
  level = 0.95,
): (MeanSummary & { key: K })[] {
  const groups = new Map<K, number[]>();
  for (const { key, value } of pairs) {
    const list = groups.get(key);
    if (list) list.push(value);
    else groups.set(key, [value]);
  }
  const keys = [...groups.keys()].sort((a, b) =>
    typeof a === "number" && typeof b === "number"
      ? a - b
      : String(a) < String(b)
      ? -1
      : String(a) > String(b)
      ? 1
      : 0
  );
  return keys.map((key) => ({ key, ...meanCI(groups.get(key)!, level) }));
}
