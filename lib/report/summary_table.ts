/**
 * The report's tables: the per-α summary (per metric, the mean and t interval over seeds) and the per-network
 * table, both as display {@link Table}s and as plain data for JSON.
 *
 * @module
 */
import { meanCI, type MeanSummary } from "../stats/confidence.ts";
import type { Table } from "./content.ts";
import { formatInterval } from "./format.ts";
import type { NetworkRecord } from "./records.ts";

/** A metric to show: its key in {@link NetworkRecord.values} and its column label. */
export interface MetricColumn {
  key: string;
  label: string;
}

/** Every metric key present in any record, sorted. */
export function metricKeys(records: readonly NetworkRecord[]): string[] {
  return [...new Set(records.flatMap((r) => Object.keys(r.values)))].sort();
}

/** One α's summary: per metric the mean and CI over the seeds that have it. */
export interface AlphaSummary {
  alpha: number;
  networks: number;
  metrics: Record<string, MeanSummary>;
}

/**
 * Per α (ascending), the number of networks and, for each of `keys` present in at least one of them, the mean
 * and t interval over seeds (lib/stats/confidence.ts).
 *
 * @example
 * ```ts
 * perAlphaSummary(records, ["mean_si"]); // [{ alpha: -1, networks: 3, metrics: { mean_si: { n: 3, mean: 0.2, … } } }, …]
 * ```
 */
export function perAlphaSummary(
  records: readonly NetworkRecord[],
  keys: readonly string[],
  level = 0.95,
): AlphaSummary[] {
  const alphas = [...new Set(records.map((r) => r.alpha))].sort((a, b) => a - b);
  return alphas.map((alpha) => {
    const group = records.filter((r) => r.alpha === alpha);
    const metrics: Record<string, MeanSummary> = {};
    for (const k of keys) {
      const xs = group.flatMap((r) => (k in r.values ? [r.values[k]] : []));
      if (xs.length > 0) metrics[k] = meanCI(xs, level);
    }
    return { alpha, networks: group.length, metrics };
  });
}

/**
 * One row per α (ascending): α, number of networks, then "mean" and "CI" columns for each metric. A metric
 * missing for some networks of an α is summarised over those that have it.
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
  const rows = perAlphaSummary(records, metrics.map((m) => m.key), level).map((s) => [
    s.alpha,
    s.networks,
    ...metrics.flatMap((m) => {
      const c = s.metrics[m.key];
      return c ? [c.mean, formatInterval(c.lo, c.hi)] : [null, null];
    }),
  ]);
  return { columns, rows, keyColumns: 2 };
}

/**
 * One row per network: run, α, seed and the given metrics (null where missing).
 *
 * @example
 * ```ts
 * networkTable(records, [{ key: "mean_si", label: "μ_SI" }]); // { columns: ["run", "α", "seed", "μ_SI"], rows: [["a0-s1", 0, 1, 0.31], …] }
 * ```
 */
export function networkTable(records: readonly NetworkRecord[], metrics: readonly MetricColumn[]): Table {
  return {
    columns: ["run", "α", "seed", ...metrics.map((m) => m.label)],
    rows: records.map((r) => [r.run, r.alpha, r.seed, ...metrics.map((m) => r.values[m.key] ?? null)]),
    keyColumns: 3,
  };
}

function csvField(v: string | number | null): string {
  if (v === null) return "";
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * The per-network table as CSV: header `run,alpha,seed,method,{every metric key, sorted}`, one line per network,
 * empty fields where a metric is missing.
 */
export function recordsCsv(records: readonly NetworkRecord[]): string {
  const keys = metricKeys(records);
  const lines = [["run", "alpha", "seed", "method", ...keys].map(csvField).join(",")];
  for (const r of records) {
    lines.push(
      [r.run, r.alpha, r.seed, r.method, ...keys.map((k) => r.values[k] ?? null)].map(csvField).join(","),
    );
  }
  return lines.join("\n") + "\n";
}

/** The per-α summary as long-format CSV: `alpha,networks,metric,n,mean,std,lo,hi` (empty for NaN). */
export function perAlphaCsv(summary: readonly AlphaSummary[]): string {
  const num = (v: number) => (Number.isFinite(v) ? v : null);
  const lines = ["alpha,networks,metric,n,mean,std,lo,hi"];
  for (const s of summary) {
    for (const [k, m] of Object.entries(s.metrics)) {
      lines.push(
        [s.alpha, s.networks, k, m.n, num(m.mean), num(m.std), num(m.lo), num(m.hi)].map(csvField).join(","),
      );
    }
  }
  return lines.join("\n") + "\n";
}
