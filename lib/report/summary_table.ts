/**
 * The per-α summary table: for each α, the number of networks and, per metric, the mean and t interval over
 * seeds.
 *
 * @module
 */
import { meanCI } from "../stats/confidence.ts";
import type { Table } from "./content.ts";
import { formatInterval } from "./format.ts";
import type { NetworkRecord } from "./records.ts";

/** A metric to show: its key in {@link NetworkRecord.values} and its column label. */
export interface MetricColumn {
  key: string;
  label: string;
}

/**
 * One row per α (ascending): α, number of networks, then "mean" and "95 % CI" columns for each metric. A
 * metric missing for some networks of an α is summarised over those that have it.
 *
 * @example
 * ```ts
 * perAlphaTable(records, [{ key: "mean_si", label: "μ_SI" }, { key: "test_acc", label: "test acc" }]);
 * ```
 */
export function perAlphaTable(
  records: readonly NetworkRecord[],
  metrics: readonly MetricColumn[],
  level = 0.95,
): Table {
  const pct = `${Math.round(level * 100)} % CI`;
  const columns = ["α", "networks", ...metrics.flatMap((m) => [m.label, `${m.label} ${pct}`])];
  const alphas = [...new Set(records.map((r) => r.alpha))].sort((a, b) => a - b);
  const rows = alphas.map((alpha) => {
    const group = records.filter((r) => r.alpha === alpha);
    const cells = metrics.flatMap((m) => {
      const xs = group.flatMap((r) => (m.key in r.values ? [r.values[m.key]] : []));
      if (xs.length === 0) return [null, null];
      const s = meanCI(xs, level);
      return [s.mean, formatInterval(s.lo, s.hi)];
    });
    return [alpha, group.length, ...cells];
  });
  return { columns, rows };
}
