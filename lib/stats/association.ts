/**
 * The statistics of a monotone association between two per-network quantities (e.g. μ_SI and corrupted
 * accuracy): Spearman ρ with a seeded percentile-bootstrap CI (the effect size), a seeded two-sided
 * permutation p-value (the test) and a least-squares slope. The verdict needs the p-values of every claim of a
 * report (Holm adjustment) and is made in lib/report/claims.ts with lib/stats/verdict.ts.
 *
 * @module
 */
import { pearson, spearmanStatistic } from "./correlation.ts";
import type { Numbers } from "./descriptive.ts";
import { linearFit } from "./linear_fit.ts";
import { bootstrapCI, permutationPValue } from "./resampling.ts";
import { averageRanks } from "./ranks.ts";
import { deriveSeed } from "../random.ts";

/** Resampling settings of {@link checkAssociation}. */
export interface AssociationOptions {
  /** Base seed; the bootstrap and the permutation test get their own seeds derived from it. */
  seed: number;
  resamples?: number;
  permutations?: number;
  level?: number;
}

/** The result of {@link checkAssociation}. */
export interface AssociationCheck {
  n: number;
  /** Spearman ρ and its percentile bootstrap interval. */
  rho: number;
  lo: number;
  hi: number;
  /** Bootstrap resamples whose ρ was undefined (constant variable), left out of the interval. */
  undefinedResamples: number;
  /** Two-sided permutation p-value for ρ = 0. */
  p: number;
  /** Least-squares line y = intercept + slope·x (NaN when x is constant). */
  slope: number;
  intercept: number;
  r2: number;
}

/**
 * Spearman ρ of y against x across networks with its bootstrap CI, permutation p and the least-squares line.
 * Needs at least 3 pairs. The permutation test shuffles the ranks (Spearman ρ is Pearson r of the ranks, and
 * ranks of permuted ranks are those ranks), which gives the same p as shuffling the values, faster.
 *
 * @example
 * ```ts
 * const c = checkAssociation(meanSI, cleanControlledCorruptedAcc, { seed: 0 });
 * c.rho; c.p; // e.g. -0.71, 0.0004
 * ```
 */
export function checkAssociation(
  x: Numbers,
  y: Numbers,
  options: AssociationOptions,
): AssociationCheck {
  const boot = bootstrapCI(x, y, spearmanStatistic(), {
    seed: deriveSeed(options.seed, "bootstrap"),
    resamples: options.resamples,
    level: options.level,
  });
  const perm = permutationPValue(averageRanks(x), averageRanks(y), pearson, {
    seed: deriveSeed(options.seed, "permutation"),
    permutations: options.permutations,
  });
  let fit = { slope: NaN, intercept: NaN, r2: NaN };
  if (new Set(Array.from(x)).size > 1) fit = linearFit(x, y);
  return {
    n: x.length,
    rho: boot.estimate,
    lo: boot.lo,
    hi: boot.hi,
    undefinedResamples: boot.undefinedResamples,
    p: perm.p,
    slope: fit.slope,
    intercept: fit.intercept,
    r2: fit.r2,
  };
}
