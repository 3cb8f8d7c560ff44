/**
 * Per-network records for the aggregate stage: each stage's metrics file is read into a flat map of named
 * numbers (lib/report/readers.ts), and the maps of one run (`a{α}-s{seed}`) are merged into one record.
 *
 * @module
 */

/** Everything known about one trained network. */
export interface NetworkRecord {
  run: string;
  alpha: number;
  seed: number;
  /** Metric name → value, merged across stages (e.g. `mean_si`, `test_acc`, `corrupted_ratio`). */
  values: Record<string, number>;
}

const RUN = /^a(-?\d+(?:\.\d+)?(?:e-?\d+)?)-s(-?\d+)$/;

/**
 * The α and seed of a run name `a{α}-s{seed}`, or null if the name does not have that form.
 *
 * @example
 * ```ts
 * parseRunName("a-0.3-s2"); // { alpha: -0.3, seed: 2 }
 * ```
 */
export function parseRunName(run: string): { alpha: number; seed: number } | null {
  const m = RUN.exec(run);
  return m ? { alpha: Number(m[1]), seed: Number(m[2]) } : null;
}

/**
 * Merges per-stage values into one record per run, sorted by α then seed. Runs whose name is not
 * `a{α}-s{seed}` are skipped and reported in `skipped`; a metric name given twice for one run keeps the first.
 *
 * @example
 * ```ts
 * mergeRecords([{ run: "a0-s1", values: { mean_si: 0.3 } }, { run: "a0-s1", values: { corrupted_acc: 0.6 } }]);
 * // { records: [{ run: "a0-s1", alpha: 0, seed: 1, values: { mean_si: 0.3, corrupted_acc: 0.6 } }], skipped: [] }
 * ```
 */
export function mergeRecords(
  entries: readonly { run: string; values: Record<string, number> }[],
): { records: NetworkRecord[]; skipped: string[] } {
  const byRun = new Map<string, NetworkRecord>();
  const skipped: string[] = [];
  for (const { run, values } of entries) {
    const id = parseRunName(run);
    if (id === null) {
      skipped.push(run);
      continue;
    }
    const record = byRun.get(run) ?? { run, ...id, values: {} };
    byRun.set(run, record);
    record.values = { ...values, ...record.values };
  }
  const records = [...byRun.values()].sort((a, b) => a.alpha - b.alpha || a.seed - b.seed);
  return { records, skipped };
}

/** The records that have every named metric, with those metrics as arrays (plus α). */
export function columns(records: readonly NetworkRecord[], names: readonly string[]): {
  records: NetworkRecord[];
  values: Record<string, number[]>;
} {
  const kept = records.filter((r) => names.every((n) => n === "alpha" || n in r.values));
  const values: Record<string, number[]> = {};
  for (const n of names) values[n] = kept.map((r) => (n === "alpha" ? r.alpha : r.values[n]));
  return { records: kept, values };
}

/**
 * Copies `from` into `to` for every record that has `from` but not `to` (e.g. μ_SI of training where
 * measure-selectivity did not run); returns the runs filled.
 *
 * @example
 * ```ts
 * fillMissing(records, "mean_si", "train_mean_si"); // ["a1-s2"]
 * ```
 */
export function fillMissing(records: NetworkRecord[], to: string, from: string): string[] {
  const filled: string[] = [];
  for (const r of records) {
    if (!(to in r.values) && from in r.values) {
      r.values[to] = r.values[from];
      filled.push(r.run);
    }
  }
  return filled;
}
