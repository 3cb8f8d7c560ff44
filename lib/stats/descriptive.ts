/**
 * Descriptive statistics over plain float64 arrays: mean, sample variance, sample standard deviation.
 *
 * @module
 */

/** Anything indexable by number with a length: plain arrays and typed arrays. */
export type Numbers = ArrayLike<number>;

/** Throws when `xs` has fewer than `min` values or holds a non-finite one; `what` names the input. */
export function requireFinite(xs: Numbers, min: number, what: string): void {
  if (xs.length < min) throw new Error(`${what}: needs at least ${min} values, got ${xs.length}`);
  for (let i = 0; i < xs.length; i++) {
    if (!Number.isFinite(xs[i])) throw new Error(`${what}: value ${i} is ${xs[i]}, not a finite number`);
  }
}

/**
 * The arithmetic mean. Throws on an empty array or a non-finite value.
 *
 * @example
 * ```ts
 * mean([1, 2, 6]); // 3
 * ```
 */
export function mean(xs: Numbers): number {
  requireFinite(xs, 1, "mean");
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

/**
 * The unbiased sample variance, Σ(x − x̄)² / (n − 1) (two-pass, so large offsets do not cancel). Needs n ≥ 2.
 *
 * @example
 * ```ts
 * sampleVariance([1, 2, 3, 4]); // 5/3
 * ```
 */
export function sampleVariance(xs: Numbers): number {
  requireFinite(xs, 2, "sampleVariance");
  const m = mean(xs);
  let ss = 0;
  for (let i = 0; i < xs.length; i++) ss += (xs[i] - m) ** 2;
  return ss / (xs.length - 1);
}

/**
 * The sample standard deviation, √(Σ(x − x̄)² / (n − 1)). Needs n ≥ 2.
 *
 * @example
 * ```ts
 * sampleStd([2, 4, 4, 4, 5, 5, 7, 9]); // √(32/7)
 * ```
 */
export function sampleStd(xs: Numbers): number {
  return Math.sqrt(sampleVariance(xs));
}

/**
 * The q-quantile of ascending-sorted values by linear interpolation between order statistics (Hyndman & Fan
 * type 7, the default of R and NumPy): position h = (n − 1)·q, value x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋]).
 *
 * @example
 * ```ts
 * quantileSorted([1, 2, 3, 4], 0.5); // 2.5
 * ```
 */
export function quantileSorted(sorted: Numbers, q: number): number {
  if (!(q >= 0 && q <= 1)) throw new Error(`quantileSorted: q must be in [0, 1], got ${q}`);
  requireFinite(sorted, 1, "quantileSorted");
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i] < sorted[i - 1]) throw new Error(`quantileSorted: values are not sorted at index ${i}`);
  }
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  if (lo + 1 >= sorted.length) return sorted[lo];
  return sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]);
}

/** Means and centred sums of squares and cross-products of paired samples (same length, not checked here). */
export interface PairedMoments {
  mx: number;
  my: number;
  /** Σ(x − x̄)². */
  sxx: number;
  /** Σ(y − ȳ)². */
  syy: number;
  /** Σ(x − x̄)(y − ȳ). */
  sxy: number;
}

/**
 * Two-pass centred moments of paired samples, the shared core of Pearson's r and the least-squares fit.
 *
 * @example
 * ```ts
 * pairedMoments([0, 1, 2], [1, 3, 5]); // { mx: 1, my: 3, sxx: 2, syy: 8, sxy: 4 }
 * ```
 */
export function pairedMoments(x: Numbers, y: Numbers): PairedMoments {
  const n = x.length;
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx, dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return { mx, my, sxx, syy, sxy };
}
