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
  /** Training method (docs/method.md §8): `standard`, or the variant named in the run. */
  method: string;
  /** Metric name → value, merged across stages (e.g. `mean_si`, `test_acc`, `corrupted_ratio`). */
  values: Record<string, number>;
}

const RUN = /^a(-?\d+(?:\.\d+)?(?:e-?\d+)?)-s(-?\d+)(?:-(noise|augmix|pgd))?$/;

/**
 * The α, seed and training method of a run name `a{α}-s{seed}` (standard training) or `a{α}-s{seed}-{method}`
 * (a robustness-training variant), or null if the name does not have that form.
 *
 * @example
 * ```ts
 * parseRunName("a-0.3-s2"); // { alpha: -0.3, seed: 2, method: "standard" }
 * parseRunName("a0-s1-pgd"); // { alpha: 0, seed: 1, method: "pgd" }
 * ```
 */
export function parseRunName(run: string): { alpha: number; seed: number; method: string } | null {
  const m = RUN.exec(run);
  return m ? { alpha: Number(m[1]), seed: Number(m[2]), method: m[3] ?? "standard" } : null;
}

/**
 * Merges per-stage values into one record per run, sorted by α then seed. Runs whose name is not
 * `a{α}-s{seed}` are skipped and reported in `skipped`; a metric name given twice for one run keeps the first.
 *
 * @example
 * ```ts
 * mergeRecords([{ run: "a0-s1", values: { mean_si: 0.3 } }, { run: "a0-s1", values: { corrupted_acc: 0.6 } }]);
 * // { records: [{ run: "a0-s1", alpha: 0, seed: 1, method: "standard", values: { mean_si: 0.3, corrupted_acc: 0.6 } }], skipped: [] }
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
  const records = [...byRun.values()].sort((a, b) =>
    a.alpha - b.alpha || a.seed - b.seed || a.method.localeCompare(b.method)
  );
  return { records, skipped };
}

/**
 * The direction of a training method on the robustness axis of the bidirectional claim (docs/method.md §8):
 * +1 worst-case (PGD adversarial training), 0 standard, −1 average-case (noise, AugMix-style).
 */
export const METHOD_ORDER: Readonly<Record<string, number>> = { noise: -1, augmix: -1, standard: 0, pgd: 1 };

/** A record's value of `name`: a metric, or the derived `alpha` and `method_order`. */
function valueOf(r: NetworkRecord, name: string): number | undefined {
  if (name === "alpha") return r.alpha;
  if (name === "method_order") return METHOD_ORDER[r.method];
  return r.values[name];
}

/** The records that have every named metric, with those metrics as arrays (plus α and `method_order`). */
export function columns(records: readonly NetworkRecord[], names: readonly string[]): {
  records: NetworkRecord[];
  values: Record<string, number[]>;
} {
  const kept = records.filter((r) => names.every((n) => valueOf(r, n) !== undefined));
  const values: Record<string, number[]> = {};
  for (const n of names) values[n] = kept.map((r) => valueOf(r, n)!);
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
