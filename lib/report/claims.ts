/**
 * The headline claims (paper.md §9) that can be checked as a signed association across networks, and their
 * checks: Spearman ρ with a bootstrap CI, verdict from lib/stats/verdict.ts.
 *
 * @module
 */
import { type AssociationCheck, type AssociationOptions, checkAssociation } from "../stats/association.ts";
import type { ExpectedSign } from "../stats/verdict.ts";
import type { ClaimCheck } from "./content.ts";
import { columns, type NetworkRecord } from "./records.ts";
import { deriveSeed } from "../random.ts";

/** A claim: y should rise (expectedSign 1) or fall (−1) with x across networks. */
export interface ClaimSpec {
  /** The claim's number in paper.md §9. */
  id: string;
  claim: string;
  /** Metric keys in {@link NetworkRecord.values}, or "alpha". */
  x: string;
  y: string;
  expectedSign: ExpectedSign;
}

/** The §9 claims checked by default (more can be added as their metrics appear). */
export const CLAIMS: readonly ClaimSpec[] = [
  { id: "1", claim: "μ_SI increases with α", x: "alpha", y: "mean_si", expectedSign: 1 },
  {
    id: "5",
    claim: "Corrupted accuracy (clean-controlled: corrupted/clean) falls as μ_SI rises",
    x: "mean_si",
    y: "corrupted_ratio",
    expectedSign: -1,
  },
  {
    id: "6",
    claim: "Adversarial accuracy rises with μ_SI",
    x: "mean_si",
    y: "adversarial_acc",
    expectedSign: 1,
  },
];

/** A claim check with the full association statistics (for verdicts.json and the plots). */
export interface ClaimResult {
  spec: ClaimSpec;
  check: ClaimCheck;
  association: AssociationCheck;
}

/**
 * Checks every claim whose metrics are present in at least 3 networks; the others are listed in `unchecked`
 * with the reason. Each claim's resampling seed is `deriveSeed(options.seed, "claim", id)`, so adding a claim
 * does not change the others.
 *
 * @example
 * ```ts
 * const { results, unchecked } = checkClaims(records, CLAIMS, { seed: 0, resamples: 10000 });
 * ```
 */
export function checkClaims(
  records: readonly NetworkRecord[],
  claims: readonly ClaimSpec[],
  options: AssociationOptions,
): { results: ClaimResult[]; unchecked: string[] } {
  const results: ClaimResult[] = [];
  const unchecked: string[] = [];
  const resamples = options.resamples ?? 10000;
  const permutations = options.permutations ?? 10000;
  const level = options.level ?? 0.95;
  for (const spec of claims) {
    const { values } = columns(records, [spec.x, spec.y]);
    const n = values[spec.x].length;
    if (n < 3) {
      unchecked.push(
        `claim ${spec.id} (${spec.claim}): ${n} networks have both ${spec.x} and ${spec.y}, need 3`,
      );
      continue;
    }
    const seed = deriveSeed(options.seed, "claim", spec.id);
    const association = checkAssociation(values[spec.x], values[spec.y], spec.expectedSign, {
      seed,
      resamples,
      permutations,
      level,
    });
    const check: ClaimCheck = {
      id: spec.id,
      claim: spec.claim,
      expectedSign: spec.expectedSign,
      estimate: association.rho,
      lo: association.lo,
      hi: association.hi,
      n,
      p: association.p,
      method: `Spearman ρ(${spec.x}, ${spec.y}); ${Math.round(level * 100)} % percentile bootstrap ` +
        `(${resamples} resamples, ${association.undefinedResamples} undefined), permutation p ` +
        `(${permutations}); seed ${seed}`,
      verdict: association.verdict,
    };
    results.push({ spec, check, association });
  }
  return { results, unchecked };
}
