/**
 * The headline claims (docs/method.md §9) as data, and their checks across networks (docs/method.md §10):
 * - `association`: y rises (expectedSign 1) or falls (−1) with x across networks: two-sided permutation p of
 *   Spearman ρ (the test), ρ with a percentile-bootstrap CI and the least-squares slope (effect sizes);
 * - `within`: the same, within groups of networks sharing α (several seeds per α): Spearman ρ of within-α
 *   residuals, stratified permutation p (y shuffled within α), stratified bootstrap CI (lib/stats/within_group.ts);
 * - `paired`: y − x has the expected sign within each network: exact two-sided sign test (the test), mean
 *   difference with a bootstrap CI (effect size).
 *
 * The verdict (lib/stats/verdict.ts): claims with at least `minNetworks` networks and a defined p form one
 * family; their p-values are Holm-adjusted (lib/stats/holm.ts) and compared with `alpha`. A claim with fewer
 * networks is "too few networks (n)" and is not part of the family; one whose metrics no network has is
 * "unchecked" with a note. Every network (α, seed) is one observation; seeds are pooled.
 *
 * @module
 */
import { type AssociationCheck, type AssociationOptions, checkAssociation } from "../stats/association.ts";
import { checkPairedDifference, type PairedCheck } from "../stats/paired.ts";
import { holmAdjust } from "../stats/holm.ts";
import { DEFAULT_RULE, type ExpectedSign, verdict, type VerdictRule } from "../stats/verdict.ts";
import { withinGroupAssociation, type WithinGroupCheck } from "../stats/within_group.ts";
import type { ClaimCheck } from "./content.ts";
import { columns, type NetworkRecord } from "./records.ts";
import { deriveSeed } from "../random.ts";

/** A claim over per-network metrics (keys of {@link NetworkRecord.values}, or "alpha"). */
export interface ClaimSpec {
  /** The claim's number in docs/method.md §9, with a letter for a part (e.g. "9a"); "w" marks within-α. */
  id: string;
  claim: string;
  kind: "association" | "within" | "paired";
  x: string;
  y: string;
  /** Association: the sign of the trend of y in x. Paired: the sign of y − x. */
  expectedSign: ExpectedSign;
  /**
   * The networks it is checked on: `standard` (default) the networks trained with the regularizer alone;
   * `methods` the robustness-training variants with the standard networks of the same α (docs/method.md §8).
   */
  networks?: "standard" | "methods";
}

/** The claims checked by the aggregate stage. */
export const CLAIMS: readonly ClaimSpec[] = [
  { id: "1", claim: "μ_SI increases with α", kind: "association", x: "alpha", y: "mean_si", expectedSign: 1 },
  {
    id: "2",
    claim: "Clean test accuracy falls as μ_SI rises (raising selectivity hurts, lowering it costs little)",
    kind: "association",
    x: "mean_si",
    y: "test_acc",
    expectedSign: -1,
  },
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
    id: "5w",
    claim: "Within α (seed to seed): corruption robustness (corrupted / clean) falls as μ_SI rises",
    kind: "within",
    x: "mean_si",
    y: "corrupted_ratio",
    expectedSign: -1,
  },
  {
    id: "6w",
    claim: "Within α (seed to seed): adversarial AUC (worst case, L∞) rises with μ_SI",
    kind: "within",
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
    claim:
      "Early-layer dimensionality of ΔX is higher for adversarial than for corrupted inputs, at matched " +
      "input size (each corruption rescaled per image to the adversarial perturbation's L2 norm; other " +
      "choices in the sensitivity table)",
    kind: "paired",
    x: "dim_delta_corruption_matched_early",
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
  {
    id: "10",
    claim:
      "Bidirectional: μ_SI of adversarially trained > standard > average-case (noise, AugMix-style) trained " +
      "networks at the same α",
    kind: "association",
    x: "method_order",
    y: "mean_si",
    expectedSign: 1,
    networks: "methods",
  },
];

/** Units of the metrics claims use, for the slope's unit ("per unit of x"). */
const UNITS: Record<string, string> = {
  alpha: "α",
  mean_si: "μ_SI",
  test_acc: "accuracy",
  corrupted_ratio: "ratio",
  "adv_auc:worst-linf": "accuracy (AUC)",
  method_order: "method step (noise/AugMix −1, standard 0, PGD +1)",
  dim_clean_early: "components",
  dim_clean_pr_early: "PR",
  dim_delta_attack_early: "components",
  dim_delta_corruption_early: "components",
  dim_delta_corruption_matched_early: "components",
  grad_cv_samples: "CV",
  grad_cv_units: "CV",
};

/** The unit of a metric key (the key itself when not listed). */
export function metricUnit(key: string): string {
  return UNITS[key] ?? key;
}

/** A claim with its check; `stats` is null when the claim could not be checked. */
export interface ClaimResult {
  spec: ClaimSpec;
  check: ClaimCheck;
  stats: AssociationCheck | WithinGroupCheck | PairedCheck | null;
  /** The networks behind the check, in record order. */
  records: NetworkRecord[];
}

/** Settings of {@link checkClaims}: resampling (seed, counts, CI level) and the verdict rule. */
export interface ClaimOptions extends AssociationOptions {
  rule?: VerdictRule;
  /** α of the robustness-training variants (claims on `methods` networks); default 0. */
  methodsAlpha?: number;
}

/** The networks a claim is checked on (see {@link ClaimSpec.networks}). */
export function claimNetworks(
  records: readonly NetworkRecord[],
  spec: ClaimSpec,
  methodsAlpha = 0,
): NetworkRecord[] {
  return spec.networks === "methods"
    ? records.filter((r) => r.alpha === methodsAlpha)
    : records.filter((r) => r.method === "standard");
}

const pct = (level: number) => `${Math.round(level * 100)} %`;

/** A check before the verdict: statistics, raw p and effect sizes. */
type Unjudged = Omit<ClaimCheck, "verdict" | "pAdjusted"> & { p: number };

function computeStats(
  spec: ClaimSpec,
  x: number[],
  y: number[],
  kept: NetworkRecord[],
  options: ClaimOptions,
): { check: Unjudged; stats: ClaimResult["stats"] } {
  const resamples = options.resamples ?? 10000;
  const permutations = options.permutations ?? 10000;
  const level = options.level ?? 0.95;
  const seed = deriveSeed(options.seed, "claim", spec.id);
  const base = { id: spec.id, claim: spec.claim, expectedSign: spec.expectedSign };
  const slopeUnit = `${metricUnit(spec.y)} per ${metricUnit(spec.x)}`;
  if (spec.kind === "paired") {
    const s = checkPairedDifference(x, y, { seed, resamples, level });
    return {
      stats: s,
      check: {
        ...base,
        n: s.n,
        statistic: `mean of ${spec.y} − ${spec.x}`,
        estimate: s.mean,
        lo: s.lo,
        hi: s.hi,
        p: s.p,
        slope: NaN,
        slopeUnit: "",
        test: `exact two-sided sign test (${s.positive} up, ${s.negative} down, ${s.zeros} tied)`,
        method: `paired per network; ${pct(level)} percentile bootstrap of the mean difference ` +
          `(${resamples} resamples); seed ${seed}`,
      },
    };
  }
  if (spec.kind === "within") {
    const s = withinGroupAssociation(x, y, kept.map((r) => r.alpha), {
      seed,
      resamples,
      permutations,
      level,
    });
    return {
      stats: s,
      check: {
        ...base,
        n: s.n,
        statistic: `Spearman ρ of within-α residuals (${spec.x}, ${spec.y})`,
        estimate: s.rho,
        lo: s.lo,
        hi: s.hi,
        p: s.p,
        slope: s.slope,
        slopeUnit,
        test:
          `stratified permutation test, y shuffled within α (${permutations}; ${s.groups} α with ≥ 2 seeds)`,
        method: `residuals from each α's mean; ${pct(level)} stratified percentile bootstrap of ρ ` +
          `(${resamples} resamples); pooled within-α least-squares slope; seed ${seed}`,
      },
    };
  }
  const s = checkAssociation(x, y, { seed, resamples, permutations, level });
  return {
    stats: s,
    check: {
      ...base,
      n: s.n,
      statistic: `Spearman ρ(${spec.x}, ${spec.y})`,
      estimate: s.rho,
      lo: s.lo,
      hi: s.hi,
      p: s.p,
      slope: s.slope,
      slopeUnit,
      test: `two-sided permutation test of Spearman ρ (${permutations} permutations)`,
      method:
        `networks pooled over seeds; ${pct(level)} percentile bootstrap of ρ (${resamples} resamples, ` +
        `${s.undefinedResamples} undefined); least-squares slope; seed ${seed}`,
    },
  };
}

/**
 * Checks every claim and gives each its verdict under `options.rule` (default: Holm-adjusted p < 0.05 across
 * the claims tested, at least 10 networks). A claim whose metrics no network has is "unchecked" with a note;
 * one with fewer than 3 networks gets no statistics. Each claim's resampling seed is
 * `deriveSeed(options.seed, "claim", id)`, so adding a claim does not change the others' statistics (it
 * changes their Holm adjustment: the family grows).
 *
 * @example
 * ```ts
 * const results = checkClaims(records, CLAIMS, { seed: 0, resamples: 10000, permutations: 10000 });
 * results.map((r) => r.check.verdict); // ["reproduced", "too few networks (5)", …]
 * ```
 */
export function checkClaims(
  records: readonly NetworkRecord[],
  claims: readonly ClaimSpec[],
  options: ClaimOptions,
): ClaimResult[] {
  const rule = options.rule ?? DEFAULT_RULE;
  const partial = claims.map((spec) => {
    const pool = claimNetworks(records, spec, options.methodsAlpha);
    const { records: kept, values } = columns(pool, [spec.x, spec.y]);
    const x = values[spec.x], y = values[spec.y];
    const missing = [spec.x, spec.y].filter((k) =>
      k === "method_order"
        ? !pool.some((r) => r.method !== "standard")
        : k !== "alpha" && !pool.some((r) => k in r.values)
    );
    if (missing.length > 0 || x.length < 3) {
      const note = missing.length > 0
        ? `no network has ${missing.join(" or ")}`
        : `${x.length} networks have both ${spec.x} and ${spec.y}; statistics need 3`;
      const check: Unjudged = {
        id: spec.id,
        claim: spec.claim,
        expectedSign: spec.expectedSign,
        n: x.length,
        statistic: "—",
        estimate: NaN,
        lo: NaN,
        hi: NaN,
        p: NaN,
        slope: NaN,
        slopeUnit: "",
        test: "—",
        method: note,
        note,
      };
      return { spec, check, stats: null, records: kept, missing: missing.length > 0 };
    }
    return { spec, ...computeStats(spec, x, y, kept, options), records: kept, missing: false };
  });
  const inFamily = partial.map((r) =>
    !r.missing && r.check.n >= rule.minNetworks && !Number.isNaN(r.check.p)
  );
  const adjusted = holmAdjust(partial.map((r, i) => (inFamily[i] ? r.check.p : NaN)));
  const family = inFamily.filter(Boolean).length;
  return partial.map(({ spec, check, stats, records: kept, missing }, i) => {
    const judged: ClaimCheck = {
      ...check,
      pAdjusted: adjusted[i],
      verdict: missing ? "unchecked" : verdict(spec.expectedSign, check.estimate, adjusted[i], check.n, rule),
      ...(inFamily[i] ? { family } : {}),
    };
    return { spec, check: judged, stats, records: kept };
  });
}

/** The verdict rule in words, for the report. */
export function ruleText(rule: VerdictRule, family: number): string {
  return `A claim is "reproduced" when its estimate has the sign the paper expects and its p-value, ` +
    `Holm-adjusted across the ${
      family === 0
        ? "claims tested in this report (none had enough networks)"
        : `${family} claims tested in this report`
    }, is below ${rule.alpha}, with at least ` +
    `${rule.minNetworks} networks; "contradicted" when significant with the other sign; otherwise ` +
    `"consistent in sign, not significant" or "opposite in sign, not significant". A claim with fewer than ` +
    `${rule.minNetworks} networks is "too few networks (n)" and is left out of the family; its estimate and ` +
    `interval are shown as effect sizes only. Tests: two-sided permutation test of Spearman ρ (associations), ` +
    `stratified permutation within α (within-α rows), exact sign test (paired claims). See docs/method.md §10.`;
}

/**
 * The verdicts file (`verdicts.json`): one entry per claim with the spec, verdict, estimate, interval, raw and
 * Holm-adjusted p, slope and the full statistics (NaN written as null).
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
    p_holm: check.pAdjusted ?? null,
    slope: check.slope,
    slope_unit: check.slopeUnit,
    test: check.test,
    n: check.n,
    ...(check.note ? { note: check.note } : {}),
    ...(stats ? { stats } : {}),
  }));
  return JSON.stringify(entries, (_, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2) +
    "\n";
}
