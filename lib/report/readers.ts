/**
 * Readers of the per-network metrics files of each stage: each validates the JSON it needs (zod) and returns
 * named numbers, the columns of the aggregate table. Column names are {@link metricKey}s: a metric, then its
 * qualifiers, joined by ":" (e.g. `adv_acc:pgd-linf:2` = PGD L∞ accuracy at ε = 2/255). A field another stage
 * legitimately leaves null (e.g. no benchmark corruption ran) gives no column; a wrong type is an error that
 * names the file and the field.
 *
 * @module
 */
import { z } from "zod";

/** Turns the parsed JSON of one metrics file (`file` names it in errors) into named numbers. */
export type MetricsReader = (json: unknown, file: string) => Record<string, number>;

/**
 * A column name: parts joined by ":".
 *
 * @example
 * ```ts
 * metricKey("dim_clean", "block1_relu"); // "dim_clean:block1_relu"
 * ```
 */
export function metricKey(...parts: (string | number)[]): string {
  return parts.join(":");
}

/** ε as written in column names: L∞ radii in units of 1/255 (as params.yaml gives them), L2 radii as is. */
export function epsLabel(norm: string, eps: number): string {
  return String(norm === "linf" ? Number((eps * 255).toPrecision(6)) : Number(eps.toPrecision(6)));
}

function parse<S extends z.ZodType>(schema: S, json: unknown, file: string): z.infer<S> {
  const r = schema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0];
    const where = i.path.length ? i.path.map(String).join(".") : "(top level)";
    throw new Error(`${file}: ${where}: ${i.message}`);
  }
  return r.data;
}

/** Sets `out[key]` when `v` is a number (null and undefined mean "not measured"). */
function put(out: Record<string, number>, key: string, v: number | null | undefined): void {
  if (typeof v === "number") out[key] = v;
}

const num = z.number().refine(Number.isFinite, "not a finite number");
const maybe = num.nullable().optional();

const trainSchema = z.object({
  test: z.object({ acc: num, mean_si: num }),
  epochs: num.optional(),
  val: z.object({ acc: maybe }).optional(),
});

/**
 * `outputs/models/a…-s….metrics.json` (train): `test_acc`, `val_acc`, `epochs`, and `train_mean_si` (μ_SI of
 * the test split at the end of training; the fallback for `mean_si`).
 */
export const readTrainMetrics: MetricsReader = (json, file) => {
  const m = parse(trainSchema, json, file);
  const out: Record<string, number> = { test_acc: m.test.acc, train_mean_si: m.test.mean_si };
  put(out, "val_acc", m.val?.acc);
  put(out, "epochs", m.epochs);
  return out;
};

const selectivitySchema = z.object({
  network_mean_si: num,
  accuracy: num,
  layers: z.array(z.object({ name: z.string(), mean_si: num, dead_units: num })).min(1),
});

/**
 * `outputs/selectivity/a…-s….json` (measure-selectivity): `mean_si` (μ_SI), `si_acc` (accuracy on the measured
 * images), per layer `si:{layer}` (mean SI) and `dead_units:{layer}`.
 */
export const readSelectivityMetrics: MetricsReader = (json, file) => {
  const m = parse(selectivitySchema, json, file);
  const out: Record<string, number> = { mean_si: m.network_mean_si, si_acc: m.accuracy };
  for (const l of m.layers) {
    out[metricKey("si", l.name)] = l.mean_si;
    out[metricKey("dead_units", l.name)] = l.dead_units;
  }
  return out;
};

const cv = z.object({ cv: maybe });
const gradientsSchema = z.object({
  network: z.object({ cv_across_samples: maybe, cv_across_units: maybe }),
  layers: z.array(z.object({ name: z.string(), across_samples: cv, across_units: cv })),
});

/**
 * `outputs/gradients/a…-s….json` (measure-gradients): `grad_cv_samples` and `grad_cv_units` (layer means of the
 * across-sample and across-unit CV of ‖∂a_u/∂x‖), and per layer `grad_cv_samples:{layer}`, `grad_cv_units:{layer}`.
 */
export const readGradientMetrics: MetricsReader = (json, file) => {
  const m = parse(gradientsSchema, json, file);
  const out: Record<string, number> = {};
  put(out, "grad_cv_samples", m.network.cv_across_samples);
  put(out, "grad_cv_units", m.network.cv_across_units);
  for (const l of m.layers) {
    put(out, metricKey("grad_cv_samples", l.name), l.across_samples.cv);
    put(out, metricKey("grad_cv_units", l.name), l.across_units.cv);
  }
  return out;
};

const dims = z.object({ components: num, participation_ratio: num });
const dimensionalitySchema = z.object({
  layers: z.array(z.object({ name: z.string(), clean: dims, rank_ceiling: num.optional() })).min(1),
  conditions: z.array(z.object({
    id: z.string(),
    kind: z.enum(["corruption", "attack", "corruption_matched"]),
    input_norm: z.object({ l2: num, linf: num }).optional(),
    layers: z.array(z.object({ name: z.string(), delta: dims })),
  })),
});

/**
 * The perturbation kinds of measure-dimensionality, as used in column names: `corruption_matched` are the
 * corruptions rescaled per image to the first attack's input L2 norm (docs/method.md §6 step 7).
 */
export const PERTURBATION_KINDS = ["corruption", "attack", "corruption_matched"] as const;

/**
 * `outputs/dimensionality/a…-s….json` (measure-dimensionality), per layer: `dim_clean:{layer}` (PCA components
 * reaching the variance threshold) and `dim_clean_pr:{layer}` (participation ratio) of clean representations;
 * `dim_delta_{kind}:{layer}` for each kind of {@link PERTURBATION_KINDS}: components of ΔX = X_pert − X_clean,
 * averaged over the conditions of that kind (`_pr` likewise); per condition `dim_delta:{id}:{layer}` and
 * `dim_delta_pr:{id}:{layer}`, and its input size `input_l2:{id}`, with `input_l2_{kind}` the mean over a kind;
 * `dim_rank_ceiling:{layer}` (min(N − 1, features)). The first layer is also written as `…_early` (e.g.
 * `dim_clean_early`): the early layer of claims 7 and 8.
 */
export const readDimensionalityMetrics: MetricsReader = (json, file) => {
  const m = parse(dimensionalitySchema, json, file);
  const out: Record<string, number> = {};
  const early = m.layers[0].name;
  const set = (name: string, layer: string, v: number) => {
    out[metricKey(name, layer)] = v;
    if (layer === early) out[`${name}_early`] = v;
  };
  for (const l of m.layers) {
    set("dim_clean", l.name, l.clean.components);
    set("dim_clean_pr", l.name, l.clean.participation_ratio);
    if (l.rank_ceiling !== undefined) set("dim_rank_ceiling", l.name, l.rank_ceiling);
  }
  for (const c of m.conditions) {
    if (c.input_norm) out[metricKey("input_l2", c.id)] = c.input_norm.l2;
    for (const d of c.layers) {
      set(metricKey("dim_delta", c.id), d.name, d.delta.components);
      set(metricKey("dim_delta_pr", c.id), d.name, d.delta.participation_ratio);
    }
  }
  for (const kind of PERTURBATION_KINDS) {
    const conditions = m.conditions.filter((c) => c.kind === kind);
    if (conditions.length === 0) continue;
    const norms = conditions.flatMap((c) => (c.input_norm ? [c.input_norm.l2] : []));
    if (norms.length === conditions.length) {
      out[`input_l2_${kind}`] = norms.reduce((s, v) => s + v, 0) / norms.length;
    }
    for (const { name } of m.layers) {
      const ds = conditions.map((c) => {
        const d = c.layers.find((l) => l.name === name);
        if (!d) throw new Error(`${file}: conditions ${c.id}: no layer '${name}'`);
        return d.delta;
      });
      const avg = (f: (d: z.infer<typeof dims>) => number) => ds.reduce((s, d) => s + f(d), 0) / ds.length;
      set(`dim_delta_${kind}`, name, avg((d) => d.components));
      set(`dim_delta_${kind}_pr`, name, avg((d) => d.participation_ratio));
    }
  }
  return out;
};

const summary = z.object({ mean_accuracy: num, drop: num, ratio: maybe });
const corruptionSchema = z.object({
  clean_accuracy: num,
  benchmark: summary.nullable(),
  per_severity: z.record(z.string(), summary),
  per_corruption: z.record(z.string(), summary).optional(),
});

/**
 * `outputs/corruption/a…-s….json` (corrupt-eval): `corrupt_clean_acc`, and over the benchmark corruptions
 * evaluated `corrupted_acc` (mean), `corrupted_drop` (clean − corrupted), `corrupted_ratio` (corrupted /
 * clean), per severity `corrupted_acc_sev:{s}` and `corrupted_ratio_sev:{s}`, and per corruption
 * `corrupted_ratio:{corruption}` (over its severities).
 */
export const readCorruptionMetrics: MetricsReader = (json, file) => {
  const m = parse(corruptionSchema, json, file);
  const out: Record<string, number> = { corrupt_clean_acc: m.clean_accuracy };
  if (m.benchmark) {
    out.corrupted_acc = m.benchmark.mean_accuracy;
    out.corrupted_drop = m.benchmark.drop;
    put(out, "corrupted_ratio", m.benchmark.ratio);
  }
  for (const [s, v] of Object.entries(m.per_severity)) {
    out[metricKey("corrupted_acc_sev", s)] = v.mean_accuracy;
    put(out, metricKey("corrupted_ratio_sev", s), v.ratio);
  }
  for (const [c, v] of Object.entries(m.per_corruption ?? {})) {
    put(out, metricKey("corrupted_ratio", c), v.ratio);
  }
  return out;
};

const curve = z.object({ eps: z.array(num), accuracy: z.array(num), auc: num }).refine(
  (c) => c.eps.length === c.accuracy.length,
  "eps and accuracy differ in length",
);
const attackSchema = z.object({
  clean_accuracy: num,
  attacks: z.record(z.string(), z.intersection(curve, z.object({ norm: z.enum(["linf", "l2"]) }))),
  worst_case: z.object({ linf: curve.optional(), l2: curve.optional() }),
});

/**
 * `outputs/attack/a…-s….json` (attack-eval): `adv_clean_acc`; per attack `adv_acc:{attack}:{ε}` and
 * `adv_auc:{attack}`; the per-norm worst case over attacks as attack `worst-linf` / `worst-l2` (ε of L∞ in
 * units of 1/255, see {@link epsLabel}).
 */
export const readAttackMetrics: MetricsReader = (json, file) => {
  const m = parse(attackSchema, json, file);
  const out: Record<string, number> = { adv_clean_acc: m.clean_accuracy };
  const add = (name: string, norm: string, c: z.infer<typeof curve>) => {
    c.eps.forEach((e, i) => (out[metricKey("adv_acc", name, epsLabel(norm, e))] = c.accuracy[i]));
    out[metricKey("adv_auc", name)] = c.auc;
  };
  for (const [name, c] of Object.entries(m.attacks)) add(name, c.norm, c);
  for (const norm of ["linf", "l2"] as const) {
    const c = m.worst_case[norm];
    if (c) add(`worst-${norm}`, norm, c);
  }
  return out;
};
