/**
 * The headline claims of paper.md §9 as data, and their checks across networks. A claim is either
 * - an `association`: y rises (expectedSign 1) or falls (−1) with x: Spearman ρ with a percentile-bootstrap CI
 *   (the verdict), a permutation p-value and a least-squares slope (lib/stats/association.ts); or
 * - `paired`: y − x has the expected sign within each network: mean difference with a bootstrap CI (the
 *   verdict) and an exact sign test (lib/stats/paired.ts).
 *
 * Every network (α, seed) is one observation: seeds are pooled, not averaged per α, and the bootstrap
 * resamples networks. A claim whose metrics are present in fewer than 3 networks is "unchecked" with a note.
 *
 * @module
 */
import { type AssociationCheck, type AssociationOptions, checkAssociation } from "../stats/association.ts";
import { checkPairedDifference, type PairedCheck } from "../stats/paired.ts";
import type { ExpectedSign } from "../stats/verdict.ts";
import type { ClaimCheck } from "./content.ts";
import { columns, type NetworkRecord } from "./records.ts";
import { deriveSeed } from "../random.ts";

/** A claim over per-network metrics (keys of {@link NetworkRecord.values}, or "alpha"). */
export interface ClaimSpec {
  /** The claim's number in paper.md §9, with a letter for a part (e.g. "9a"). */
  id: string;
  claim: string;
  kind: "association" | "paired";
  x: string;
  y: string;
  /** Association: the sign of the trend of y in x. Paired: the sign of y − x. */
  expectedSign: ExpectedSign;
}

/** The claims checked by the aggregate stage. */
export const CLAIMS: readonly ClaimSpec[] = [
  { id: "1", claim: "μ_SI increases with α", kind: "association", x: "alpha", y: "mean_si", expectedSign: 1 },
  {
    id: "5",
    claim: "Corruption robustness (clean-controlled: corrupted / clean accuracy) falls as μ_SI rises",
    kind: "association",
    x: "mean_si",
    y: "corrupted_ratio",
    expectedSign: -1,
  },
  {
    id: "6",
    claim: "Adversarial robustness (AUC of the worst case over L∞ attacks) rises with μ_SI",
    kind: "association",
    x: "mean_si",
    y: "adv_auc:worst-linf",
    expectedSign: 1,
  },
  {
    id: "7",
    claim: "Early-layer dimensionality of clean representations (PCA components) falls as μ_SI rises",
    kind: "association",
    x: "mean_si",
    y: "dim_clean_early",
    expectedSign: -1,
  },
  {
    id: "7b",
    claim: "Early-layer participation ratio of clean representations falls as μ_SI rises",
    kind: "association",
    x: "mean_si",
    y: "dim_clean_pr_early",
    expectedSign: -1,
  },
  {
    id: "8",
    claim: "Early-layer dimensionality of ΔX is higher for adversarial than for corrupted inputs",
    kind: "paired",
    x: "dim_delta_corruption_early",
    y: "dim_delta_attack_early",
    expectedSign: 1,
  },
  {
    id: "8b",
    claim: "Early-layer dimensionality of adversarial ΔX falls as μ_SI rises",
    kind: "association",
    x: "mean_si",
    y: "dim_delta_attack_early",
    expectedSign: -1,
  },
  {
    id: "8c",
    claim: "Early-layer dimensionality of corruption ΔX falls as μ_SI rises",
    kind: "association",
    x: "mean_si",
    y: "dim_delta_corruption_early",
    expectedSign: -1,
  },
  {
    id: "9a",
    claim: "Input–unit gradient variability across samples (CV) rises with μ_SI",
    kind: "association",
    x: "mean_si",
    y: "grad_cv_samples",
    expectedSign: 1,
  },
  {
    id: "9b",
    claim: "Input–unit gradient variability across units (CV) rises with μ_SI",
    kind: "association",
    x: "mean_si",
    y: "grad_cv_units",
    expectedSign: 1,
  },
];

/** A claim with its check; `stats` is null when the claim could not be checked. */
export interface ClaimResult {
  spec: ClaimSpec;
  check: ClaimCheck;
  stats: AssociationCheck | PairedCheck | null;
  /** The networks behind the check, in record order. */
  records: NetworkRecord[];
}

const pct = (level: number) => `${Math.round(level * 100)} %`;

/**
 * Checks every claim; a claim whose metrics are present in fewer than 3 networks comes back with verdict
 * "unchecked" and a note naming what is missing. Each claim's resampling seed is
 * `deriveSeed(options.seed, "claim", id)`, so adding a claim does not change the others.
 *
 * @example
 * ```ts
 * const results = checkClaims(records, CLAIMS, { seed: 0, resamples: 10000, permutations: 10000 });
 * results.map((r) => r.check.verdict); // ["reproduced", "unchecked", …]
 * ```
 */
export function checkClaims(
  records: readonly NetworkRecord[],
  claims: readonly ClaimSpec[],
  options: AssociationOptions,
): ClaimResult[] {
  const resamples = options.resamples ?? 10000;
  const permutations = options.permutations ?? 10000;
  const level = options.level ?? 0.95;
  return claims.map((spec) => {
    const { records: kept, values } = columns(records, [spec.x, spec.y]);
    const x = values[spec.x], y = values[spec.y];
    const base = { id: spec.id, claim: spec.claim, expectedSign: spec.expectedSign, n: x.length };
    if (x.length < 3) {
      const missing = [spec.x, spec.y].filter((k) => k !== "alpha" && !records.some((r) => k in r.values));
      const note = missing.length > 0
        ? `no network has ${missing.join(" or ")}`
        : `${x.length} networks have both ${spec.x} and ${spec.y}, need 3`;
      const check: ClaimCheck = {
        ...base,
        statistic: "—",
        estimate: NaN,
        lo: NaN,
        hi: NaN,
        method: note,
        verdict: "unchecked",
        note,
      };
      return { spec, check, stats: null, records: kept };
    }
    const seed = deriveSeed(options.seed, "claim", spec.id);
    if (spec.kind === "paired") {
      const s = checkPairedDifference(x, y, spec.expectedSign, { seed, resamples, level });
      const check: ClaimCheck = {
        ...base,
        statistic: `mean of ${spec.y} − ${spec.x}`,
        estimate: s.mean,
        lo: s.lo,
        hi: s.hi,
        p: s.p,
        method: `paired per network; ${pct(level)} percentile bootstrap of the mean difference ` +
          `(${resamples} resamples); exact two-sided sign test p (${s.positive} up, ${s.negative} down, ` +
          `${s.zeros} tied); seed ${seed}`,
        verdict: s.verdict,
      };
      return { spec, check, stats: s, records: kept };
    }
    const s = checkAssociation(x, y, spec.expectedSign, { seed, resamples, permutations, level });
    const check: ClaimCheck = {
      ...base,
      statistic: `Spearman ρ(${spec.x}, ${spec.y})`,
      estimate: s.rho,
      lo: s.lo,
      hi: s.hi,
      p: s.p,
      method:
        `networks pooled over seeds; ${pct(level)} percentile bootstrap of ρ (${resamples} resamples, ` +
        `${s.undefinedResamples} undefined); permutation p (${permutations}); least-squares slope ` +
        `${Number(s.slope.toPrecision(4))}; seed ${seed}`,
      verdict: s.verdict,
    };
    return { spec, check, stats: s, records: kept };
  });
}

/**
 * The verdicts file (`verdicts.json`): one entry per claim with the spec, verdict, estimate, interval, p and
 * the full statistics (NaN written as null).
 */
export function verdictsJson(results: readonly ClaimResult[]): string {
  const entries = results.map(({ spec, check, stats }) => ({
    id: spec.id,
    claim: spec.claim,
    kind: spec.kind,
    x: spec.x,
    y: spec.y,
    expected_sign: spec.expectedSign,
    verdict: check.verdict,
    statistic: check.statistic,
    estimate: check.estimate,
    lo: check.lo,
    hi: check.hi,
    p: check.p ?? null,
    n: check.n,
    ...(check.note ? { note: check.note } : {}),
    ...(stats ? { stats } : {}),
  }));
  return JSON.stringify(entries, (_, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2) +
    "\n";
}
