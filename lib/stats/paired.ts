/**
 * Paired comparisons across networks (e.g. per network, the early-layer dimensionality of adversarial ΔX minus
 * that of corruption ΔX): an exact two-sided sign test (the test of the verdict, lib/report/claims.ts) and a
 * seeded percentile-bootstrap CI of the mean difference (the effect size).
 *
 * @module
 */
import { mean, type Numbers, quantileSorted, requireFinite } from "./descriptive.ts";
import { Rng } from "../random.ts";

/** The result of {@link signTest}. */
export interface SignTest {
  /** Differences above, below and equal to 0 (zeros are dropped from the test). */
  positive: number;
  negative: number;
  zeros: number;
  /** Exact two-sided p-value under P(d > 0) = ½; 1 when every difference is 0. */
  p: number;
}

/**
 * Exact two-sided sign test of "the median difference is 0": with m non-zero differences of which the smaller
 * side has k, p = min(1, 2·P(X ≤ k)) for X ~ Binomial(m, ½).
 *
 * @example
 * ```ts
 * signTest([1, 2, 3, -1, 0]); // { positive: 3, negative: 1, zeros: 1, p: 0.625 } (2·(1 + 4)/16)
 * ```
 */
export function signTest(d: Numbers): SignTest {
  requireFinite(d, 1, "signTest");
  let positive = 0, negative = 0;
  for (let i = 0; i < d.length; i++) {
    if (d[i] > 0) positive++;
    else if (d[i] < 0) negative++;
  }
  const m = positive + negative;
  const zeros = d.length - m;
  if (m === 0) return { positive, negative, zeros, p: 1 };
  if (m > 1000) throw new Error(`signTest: supports up to 1000 non-zero differences, got ${m}`);
  const k = Math.min(positive, negative);
  let term = 2 ** -m;
  let tail = term;
  for (let j = 1; j <= k; j++) {
    term *= (m - j + 1) / j;
    tail += term;
  }
  return { positive, negative, zeros, p: Math.min(1, 2 * tail) };
}

/** A percentile bootstrap interval of a mean. */
export interface MeanBootstrap {
  mean: number;
  lo: number;
  hi: number;
  level: number;
  resamples: number;
}

/**
 * Percentile bootstrap CI of the mean of `xs`: draw n values with replacement `resamples` times (default
 * 10 000) and take the (1−level)/2 and (1+level)/2 quantiles (type 7) of the resampled means.
 *
 * @example
 * ```ts
 * bootstrapMeanCI([0, 1], { seed: 0 }); // { mean: 0.5, lo: 0, hi: 1, … } (resampled means are 0, ½, 1)
 * ```
 */
export function bootstrapMeanCI(
  xs: Numbers,
  options: { seed: number; resamples?: number; level?: number },
): MeanBootstrap {
  requireFinite(xs, 2, "bootstrapMeanCI");
  const resamples = options.resamples ?? 10000;
  const level = options.level ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 1) {
    throw new Error(`bootstrapMeanCI: resamples must be an integer ≥ 1, got ${resamples}`);
  }
  if (!(level > 0 && level < 1)) throw new Error(`bootstrapMeanCI: level must be in (0, 1), got ${level}`);
  const rng = new Rng(options.seed);
  const n = xs.length;
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += xs[rng.int(n)];
    means[b] = s / n;
  }
  means.sort();
  return {
    mean: mean(xs),
    lo: quantileSorted(means, (1 - level) / 2),
    hi: quantileSorted(means, (1 + level) / 2),
    level,
    resamples,
  };
}

/** The result of {@link checkPairedDifference}. */
export interface PairedCheck extends SignTest {
  n: number;
  /** Mean of y − x and its bootstrap interval. */
  mean: number;
  lo: number;
  hi: number;
}

/**
 * The paired difference y − x across observations (needs at least 3 pairs): mean difference with a
 * percentile-bootstrap CI, and the exact sign test's p-value.
 *
 * @example
 * ```ts
 * const c = checkPairedDifference(corruptionDeltaDim, attackDeltaDim, { seed: 0 });
 * c.mean; c.p; // e.g. 12.5, 0.002
 * ```
 */
export function checkPairedDifference(
  x: Numbers,
  y: Numbers,
  options: { seed: number; resamples?: number; level?: number },
): PairedCheck {
  if (x.length !== y.length) {
    throw new Error(`checkPairedDifference: x has ${x.length} values but y has ${y.length}`);
  }
  if (x.length < 3) throw new Error(`checkPairedDifference: needs at least 3 pairs, got ${x.length}`);
  const d = Float64Array.from({ length: x.length }, (_, i) => y[i] - x[i]);
  const boot = bootstrapMeanCI(d, options);
  return {
    n: d.length,
    mean: boot.mean,
    lo: boot.lo,
    hi: boot.hi,
    ...signTest(d),
  };
}
