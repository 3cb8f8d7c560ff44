/**
 * Seeded resampling inference for a paired statistic (e.g. Spearman's ρ between μ_SI and a robustness metric):
 * a percentile bootstrap confidence interval and a two-sided permutation p-value. Same seed → same answer.
 *
 * @module
 */
import { type Numbers, quantileSorted } from "./descriptive.ts";
import { Rng } from "../random.ts";

/** A statistic of paired samples; may return NaN for degenerate inputs (e.g. a constant variable). */
export type PairedStatistic = (x: Numbers, y: Numbers) => number;

/** A percentile bootstrap interval. */
export interface BootstrapInterval {
  /** The statistic on the original data. */
  estimate: number;
  /** Interval ends; NaN when fewer than half of the resamples gave a defined statistic. */
  lo: number;
  hi: number;
  level: number;
  /** Resamples drawn. */
  resamples: number;
  /** Resamples whose statistic was NaN (e.g. every drawn x tied); left out of the percentiles. */
  undefinedResamples: number;
}

/** Options for {@link bootstrapCI}. */
export interface BootstrapOptions {
  /** Seed of the {@link Rng} that draws the resamples. */
  seed: number;
  /** Number of resamples (default 10 000). */
  resamples?: number;
  /** Confidence level (default 0.95). */
  level?: number;
}

function requirePaired(x: Numbers, y: Numbers, what: string): void {
  if (x.length !== y.length) throw new Error(`${what}: x has ${x.length} values but y has ${y.length}`);
  if (x.length < 3) throw new Error(`${what}: needs at least 3 pairs, got ${x.length}`);
}

function requireCount(k: number, what: string): void {
  if (!Number.isInteger(k) || k < 1) throw new Error(`${what} must be an integer ≥ 1, got ${k}`);
}

/**
 * Percentile bootstrap CI: draw n pairs with replacement `resamples` times, compute the statistic on each, and
 * take the (1−level)/2 and (1+level)/2 quantiles (type 7) of the defined values.
 *
 * @example
 * ```ts
 * const ci = bootstrapCI(meanSI, cleanAcc, spearman, { seed: 7 });
 * // { estimate: -0.41, lo: -0.66, hi: -0.09, level: 0.95, resamples: 10000, undefinedResamples: 0 }
 * ```
 */
export function bootstrapCI(
  x: Numbers,
  y: Numbers,
  statistic: PairedStatistic,
  options: BootstrapOptions,
): BootstrapInterval {
  requirePaired(x, y, "bootstrapCI");
  const resamples = options.resamples ?? 10000;
  const level = options.level ?? 0.95;
  requireCount(resamples, "bootstrapCI: resamples");
  if (!(level > 0 && level < 1)) throw new Error(`bootstrapCI: level must be in (0, 1), got ${level}`);
  const rng = new Rng(options.seed);
  const n = x.length;
  const bx = new Float64Array(n), by = new Float64Array(n);
  const values: number[] = [];
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) {
      const j = rng.int(n);
      bx[i] = x[j];
      by[i] = y[j];
    }
    const s = statistic(bx, by);
    if (!Number.isNaN(s)) values.push(s);
  }
  values.sort((a, b) => a - b);
  const defined = values.length >= resamples / 2;
  return {
    estimate: statistic(x, y),
    lo: defined ? quantileSorted(values, (1 - level) / 2) : NaN,
    hi: defined ? quantileSorted(values, (1 + level) / 2) : NaN,
    level,
    resamples,
    undefinedResamples: resamples - values.length,
  };
}

/** A permutation test result. */
export interface PermutationTest {
  /** The statistic on the original pairing. */
  estimate: number;
  /** Two-sided p-value (1 + #{|s_perm| ≥ |s_obs|}) / (1 + permutations); NaN when the estimate is NaN. */
  p: number;
  permutations: number;
}

/**
 * Two-sided permutation p-value for "no association": shuffle y against x `permutations` times (default
 * 10 000) and count statistics at least as extreme as the observed one (|s| ≥ |s_obs| − 1e-12, so exact ties
 * count). The +1 in numerator and denominator keeps p > 0 and the test valid (Phipson & Smyth, 2010).
 *
 * @example
 * ```ts
 * permutationPValue(meanSI, pgdAcc, spearman, { seed: 7 }); // { estimate: 0.52, p: 0.0013, permutations: 10000 }
 * ```
 */
export function permutationPValue(
  x: Numbers,
  y: Numbers,
  statistic: PairedStatistic,
  options: { seed: number; permutations?: number },
): PermutationTest {
  requirePaired(x, y, "permutationPValue");
  const permutations = options.permutations ?? 10000;
  requireCount(permutations, "permutationPValue: permutations");
  const estimate = statistic(x, y);
  if (Number.isNaN(estimate)) return { estimate, p: NaN, permutations };
  const rng = new Rng(options.seed);
  const py = Float64Array.from(y);
  const threshold = Math.abs(estimate) - 1e-12;
  let extreme = 0;
  for (let b = 0; b < permutations; b++) {
    rng.shuffle(py);
    if (Math.abs(statistic(x, py)) >= threshold) extreme++;
  }
  return { estimate, p: (1 + extreme) / (1 + permutations), permutations };
}
