/**
 * The full check of a monotone association between two per-network quantities (e.g. μ_SI and corrupted
 * accuracy): Spearman ρ with a seeded percentile-bootstrap CI, a seeded permutation p-value, a least-squares
 * slope, and the verdict against the expected sign (computed from the bootstrap CI of ρ).
 *
 * @module
 */
import { spearman } from "./correlation.ts";
import type { Numbers } from "./descriptive.ts";
import { linearFit } from "./linear_fit.ts";
import { bootstrapCI, permutationPValue } from "./resampling.ts";
import { type ExpectedSign, type Verdict, verdict } from "./verdict.ts";
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
  verdict: Verdict;
}

/**
 * Checks that y rises (expectedSign 1) or falls (−1) with x across networks. Needs at least 3 pairs.
 *
 * @example
 * ```ts
 * const c = checkAssociation(meanSI, cleanControlledCorruptedAcc, -1, { seed: 0 });
 * c.verdict; // "reproduced" when the 95 % bootstrap CI of ρ lies below 0
 * ```
 */
export function checkAssociation(
  x: Numbers,
  y: Numbers,
  expectedSign: ExpectedSign,
  options: AssociationOptions,
): AssociationCheck {
  const boot = bootstrapCI(x, y, spearman, {
    seed: deriveSeed(options.seed, "bootstrap"),
    resamples: options.resamples,
    level: options.level,
  });
  const perm = permutationPValue(x, y, spearman, {
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
    verdict: verdict(expectedSign, boot.estimate, boot),
  };
}
