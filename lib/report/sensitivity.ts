/**
 * The sensitivity table: each headline claim recomputed on the other reasonable choices of its metric (every
 * attack and ε for claim 6, every corruption and severity for claim 5, every layer and both dimensionality
 * measures for claims 7–9, matched and unmatched perturbation sizes for claim 8), so a reader sees whether a
 * verdict hangs on one choice (docs/method.md §9). These rows are exploratory: raw p-values, not part of the
 * Holm family, no verdict.
 *
 * @module
 */
import { checkAssociation } from "../stats/association.ts";
import { checkPairedDifference } from "../stats/paired.ts";
import type { ExpectedSign } from "../stats/verdict.ts";
import { deriveSeed } from "../random.ts";
import { columns, type NetworkRecord } from "./records.ts";

/** One recomputation of a claim on another choice. */
export interface SensitivityRow {
  /** The headline claim it varies, e.g. "6". */
  claim: string;
  /** The choice, e.g. "fgsm-linf at ε = 2/255". */
  choice: string;
  x: string;
  y: string;
  kind: "association" | "paired";
  expectedSign: ExpectedSign;
  n: number;
  /** Spearman ρ (association) or mean of y − x (paired). */
  estimate: number;
  /** Raw two-sided p (permutation, or exact sign test). */
  p: number;
  /** Whether the estimate has the expected sign (null when it is undefined, e.g. a constant metric). */
  agrees: boolean | null;
}

interface Variant {
  claim: string;
  choice: string;
  x: string;
  y: string;
  kind: "association" | "paired";
  expectedSign: ExpectedSign;
}

/** Keys of the records starting with `prefix:`, as their ":"-split qualifiers, sorted and unique. */
function qualifiers(records: readonly NetworkRecord[], prefix: string): string[][] {
  const keys = new Set<string>();
  for (const r of records) for (const k of Object.keys(r.values)) if (k.startsWith(`${prefix}:`)) keys.add(k);
  return [...keys].sort().map((k) => k.slice(prefix.length + 1).split(":"));
}

/** The variants the records support, claim by claim. */
export function sensitivityVariants(records: readonly NetworkRecord[]): Variant[] {
  const out: Variant[] = [];
  const assoc = (claim: string, choice: string, y: string, sign: ExpectedSign) =>
    out.push({ claim, choice, x: "mean_si", y, kind: "association", expectedSign: sign });
  for (const [c] of qualifiers(records, "corrupted_ratio").filter((q) => q.length === 1)) {
    assoc("5", `${c} (all severities)`, `corrupted_ratio:${c}`, -1);
  }
  for (const [s] of qualifiers(records, "corrupted_ratio_sev")) {
    assoc("5", `severity ${s}`, `corrupted_ratio_sev:${s}`, -1);
  }
  for (const [a] of qualifiers(records, "adv_auc")) assoc("6", `${a}, AUC`, `adv_auc:${a}`, 1);
  for (const [a, e] of qualifiers(records, "adv_acc").filter((q) => q.length === 2 && Number(q[1]) > 0)) {
    assoc("6", `${a} at ε = ${e}${a.endsWith("linf") ? "/255" : ""}`, `adv_acc:${a}:${e}`, 1);
  }
  for (const [l] of qualifiers(records, "dim_clean")) assoc("7", `${l}, components`, `dim_clean:${l}`, -1);
  for (const [l] of qualifiers(records, "dim_clean_pr")) {
    assoc("7", `${l}, participation ratio`, `dim_clean_pr:${l}`, -1);
  }
  const paired = (choice: string, x: string, y: string) =>
    out.push({ claim: "8", choice, x, y, kind: "paired", expectedSign: 1 });
  for (const [l] of qualifiers(records, "dim_delta_attack")) {
    paired(`${l}, matched size, components`, `dim_delta_corruption_matched:${l}`, `dim_delta_attack:${l}`);
    paired(`${l}, raw size, components`, `dim_delta_corruption:${l}`, `dim_delta_attack:${l}`);
    paired(
      `${l}, matched size, participation ratio`,
      `dim_delta_corruption_matched_pr:${l}`,
      `dim_delta_attack_pr:${l}`,
    );
    paired(`${l}, raw size, participation ratio`, `dim_delta_corruption_pr:${l}`, `dim_delta_attack_pr:${l}`);
  }
  // Each corruption alone against the (first) attack, early layer, both sizes.
  const attacks = qualifiers(records, "dim_delta").filter((q) =>
    q.length === 2 && /^(fgsm|pgd|apgd)-/.test(q[0])
  );
  const early = attacks[0]?.[1];
  if (early) {
    const attackId = attacks.find((q) => q[1] === early)![0];
    for (
      const [id, layer] of qualifiers(records, "dim_delta").filter((q) => q.length === 2 && q[1] === early)
    ) {
      if (/^(fgsm|pgd|apgd)-/.test(id)) continue;
      paired(
        `${layer}, ${id.includes("@") ? `${id.split("@")[0]} at matched size` : `${id} at raw size`}`,
        `dim_delta:${id}:${layer}`,
        `dim_delta:${attackId}:${layer}`,
      );
    }
  }
  for (const [l] of qualifiers(records, "grad_cv_samples")) assoc("9a", l, `grad_cv_samples:${l}`, 1);
  for (const [l] of qualifiers(records, "grad_cv_units")) assoc("9b", l, `grad_cv_units:${l}`, 1);
  return out;
}

/**
 * Every variant with at least 3 networks, computed with `permutations` shuffles (seeded per variant).
 *
 * @example
 * ```ts
 * sensitivityTable(records, { seed: 0, permutations: 2000 }).filter((r) => r.claim === "6");
 * ```
 */
export function sensitivityTable(
  records: readonly NetworkRecord[],
  options: { seed: number; permutations: number },
): SensitivityRow[] {
  return sensitivityVariants(records).flatMap((v) => {
    const { values } = columns(records, [v.x, v.y]);
    const x = values[v.x], y = values[v.y];
    if (x.length < 3) return [];
    const seed = deriveSeed(options.seed, "sensitivity", v.x, v.y);
    const { estimate, p } = v.kind === "paired"
      ? (({ mean, p }) => ({ estimate: mean, p }))(checkPairedDifference(x, y, { seed, resamples: 1 }))
      : (({ rho, p }) => ({ estimate: rho, p }))(
        checkAssociation(x, y, { seed, resamples: 1, permutations: options.permutations }),
      );
    return [{
      ...v,
      n: x.length,
      estimate,
      p,
      agrees: Number.isFinite(estimate) && estimate !== 0 ? Math.sign(estimate) === v.expectedSign : null,
    }];
  });
}
