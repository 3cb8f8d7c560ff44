/**
 * The report's provenance block and rank-ceiling note: what the results were made from, read from the params
 * and the per-network records only. The commit and the backend are deliberately absent: the report is a hashed
 * output that must stay byte-identical across machines and commits (docs/method.md §10 and the guide's rule that
 * host and device names never enter a result); the block says where to find them instead.
 *
 * @module
 */
import type { Table } from "./content.ts";
import type { NetworkRecord } from "./records.ts";

function section(params: Record<string, unknown>, name: string): Record<string, unknown> {
  const v = params[name];
  return typeof v === "object" && v !== null ? v as Record<string, unknown> : {};
}

const show = (v: unknown, none = "—"): string =>
  v === undefined ? none : v === null ? "all" : Array.isArray(v) ? v.join(", ") : String(v);

/** Distinct values of a record metric, as "3" or "2–5". */
function span(records: readonly NetworkRecord[], key: string): string {
  const vs = records.map((r) => r.values[key]).filter((v) => v !== undefined);
  if (vs.length === 0) return "—";
  const lo = Math.min(...vs), hi = Math.max(...vs);
  return lo === hi ? String(lo) : `${lo}–${hi}`;
}

/**
 * Key/value rows: model, data and its size, epochs (as trained, from the train stage), optimisation, grid,
 * evaluation budgets, and where commit and backend are recorded.
 *
 * @example
 * ```ts
 * provenanceTable({ data: { name: "fashion-mnist", limit_train: 2000 }, train: { epochs: 3 } }, records);
 * ```
 */
export function provenanceTable(params: Record<string, unknown>, records: readonly NetworkRecord[]): Table {
  const data = section(params, "data"), train = section(params, "train"), model = section(params, "model");
  const grid = section(params, "grid"), dim = section(params, "dim"), attack = section(params, "attack");
  const corrupt = section(params, "corrupt");
  const schedule = section(train, "schedule");
  const rows: [string, string][] = [
    ["model", show(model.name)],
    ["dataset", show(data.name)],
    ["training images (data.limit_train; stratified cap, 'all' = the whole set)", show(data.limit_train)],
    ["test images (data.limit_test)", show(data.limit_test)],
    ["epochs trained (train stage)", span(records, "epochs")],
    [
      "optimisation",
      `batch ${show(train.batch_size)}, lr ${show(train.lr)}, ${show(schedule.kind)} schedule, momentum ${
        show(train.momentum)
      }, weight decay ${show(train.weight_decay)}`,
    ],
    ["networks", `${records.length} (α: ${show(grid.alpha)}; seeds: ${show(grid.seeds)})`],
    ["dimensionality images (dim.n_samples)", show(dim.n_samples)],
    ["attack images (attack.n_examples)", show(attack.n_examples)],
    ["corruption images per cell (corrupt.limit)", show(corrupt.limit)],
    [
      "commit, backend",
      "not in this file, so that it stays byte-identical across machines: the commit is the git revision " +
      "holding pipeline.lock (which records every stage's code digest); the backend is params.yaml runtime.backend",
    ],
  ];
  return { columns: ["item", "value"], rows, keyColumns: 1 };
}

/**
 * A note on the early layer's rank ceiling min(N − 1, features) and how close the measured component counts
 * come to it; null when the records carry no ceiling.
 *
 * @example
 * ```ts
 * rankCeilingNote(records); // "Dimensionality rank ceiling (early layer): 1999 … largest count 412 (21 %)."
 * ```
 */
export function rankCeilingNote(records: readonly NetworkRecord[]): string | null {
  const ceilings = records.map((r) => r.values.dim_rank_ceiling_early).filter((v) => v !== undefined);
  if (ceilings.length === 0) return null;
  const ceiling = Math.min(...ceilings);
  const counts = records.flatMap((r) =>
    [
      "dim_clean_early",
      "dim_delta_attack_early",
      "dim_delta_corruption_early",
      "dim_delta_corruption_matched_early",
    ]
      .flatMap((k) => (r.values[k] === undefined ? [] : [r.values[k]]))
  );
  const top = counts.length === 0 ? NaN : Math.max(...counts);
  const share = top / ceiling;
  return `Dimensionality rank ceiling (early layer): min(N − 1, features) = ${ceiling} components; the largest ` +
    `count measured there is ${top} (${Math.round(share * 100)} % of the ceiling)` +
    (share >= 0.9 ? ": close to the ceiling, so counts are capped by N; raise dim.n_samples." : ".");
}
