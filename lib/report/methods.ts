/**
 * The bidirectional experiment's summary (docs/method.md §8): per training method, the networks trained at the
 * variants' α, with the mean and t interval over seeds of μ_SI and of the robustness metrics.
 *
 * @module
 */
import { summarizeGroups } from "../stats/confidence.ts";
import type { Table } from "./content.ts";
import { formatInterval } from "./format.ts";
import { METHOD_ORDER, type NetworkRecord } from "./records.ts";

/** Methods in the order of the claim's axis: average-case, standard, worst-case. */
export const METHOD_DISPLAY_ORDER = ["noise", "augmix", "standard", "pgd"] as const;

const LABELS: Record<string, string> = {
  noise: "Gaussian-noise augmentation",
  augmix: "AugMix-style mix",
  standard: "standard",
  pgd: "PGD adversarial training",
};

/** The readable name of a method. */
export function methodLabel(method: string): string {
  return LABELS[method] ?? method;
}

/** Mean and interval over seeds of `key` per method, for the networks at `alpha`, in display order. */
export function perMethod(records: readonly NetworkRecord[], alpha: number, key: string, level: number) {
  const pairs = records.filter((r) => r.alpha === alpha && key in r.values && r.method in METHOD_ORDER)
    .map((r) => ({ key: r.method, value: r.values[key] }));
  const groups = summarizeGroups(pairs, level);
  return METHOD_DISPLAY_ORDER.flatMap((m) => groups.filter((g) => g.key === m));
}

/**
 * The table of methods (null without any variant): networks, then mean and CI of μ_SI, clean accuracy,
 * corruption ratio and adversarial AUC.
 *
 * @example
 * ```ts
 * methodsTable(records, 0, 0.95)?.rows[0]; // ["PGD adversarial training", 3, 0.41, "[0.38, 0.44]", …]
 * ```
 */
export function methodsTable(records: readonly NetworkRecord[], alpha: number, level: number): Table | null {
  if (!records.some((r) => r.method !== "standard")) return null;
  const keys = ["mean_si", "test_acc", "corrupted_ratio", "adv_auc:worst-linf"];
  const labels = ["μ_SI", "clean accuracy", "corrupted / clean", "adversarial AUC (worst L∞)"];
  const pct = `${Math.round(level * 100)} % CI`;
  const summaries = keys.map((k) => new Map(perMethod(records, alpha, k, level).map((g) => [g.key, g])));
  const methods = METHOD_DISPLAY_ORDER.filter((m) => summaries[0].has(m));
  return {
    columns: ["method", "networks", ...labels.flatMap((l) => [l, `${l} ${pct}`])],
    rows: methods.map((m) => [
      methodLabel(m),
      summaries[0].get(m)!.n,
      ...summaries.flatMap((s) => {
        const g = s.get(m);
        return g ? [g.mean, formatInterval(g.lo, g.hi)] : [null, null];
      }),
    ]),
    keyColumns: 2,
  };
}
