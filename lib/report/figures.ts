/**
 * The aggregate report's figures as Vega-Lite specs, built from the per-network records and claim results:
 * metrics vs α (mean and CI band over seeds), corrupted accuracy vs severity and adversarial accuracy vs ε per
 * α, one scatter per checked claim, and per-layer dimensionality heatmaps. Render with lib/plots/render.ts.
 *
 * @module
 */
import type { TopLevelSpec } from "vega-lite";
import { summarizeGroups } from "../stats/confidence.ts";
import {
  type BandPoint,
  type CurvePoint,
  layerHeatmap,
  lineWithBands,
  multiLine,
  pointsWithIntervals,
  scatterWithFit,
} from "../plots/specs.ts";
import { methodLabel, perMethod } from "./methods.ts";
import type { ClaimResult } from "./claims.ts";
import { formatInterval, formatNumber } from "./format.ts";
import { columnLabel } from "./labels.ts";
import type { NetworkRecord } from "./records.ts";

/** A figure to render: file name (without extension), spec and caption. */
export interface FigureSpec {
  name: string;
  spec: TopLevelSpec;
  caption: string;
}

/** Metrics drawn against α, grouped into figures that share a y axis. */
const VS_ALPHA: readonly { name: string; title: string; y: string; keys: readonly string[] }[] = [
  { name: "selectivity_vs_alpha", title: "Mean selectivity vs α", y: "μ_SI", keys: ["mean_si"] },
  {
    name: "accuracy_vs_alpha",
    title: "Clean and corrupted accuracy vs α",
    y: "accuracy",
    keys: ["test_acc", "corrupted_acc"],
  },
  {
    name: "adversarial_auc_vs_alpha",
    title: "Adversarial robustness vs α",
    y: "AUC (mean robust accuracy over ε)",
    keys: ["adv_auc:worst-linf"],
  },
  {
    name: "gradient_variability_vs_alpha",
    title: "Input–unit gradient variability vs α",
    y: "coefficient of variation",
    keys: ["grad_cv_samples", "grad_cv_units"],
  },
];

/** Per-layer dimensionality columns shown as heatmaps (layer × α). */
const LAYER_HEATMAPS: readonly { prefix: string; title: string }[] = [
  { prefix: "dim_clean", title: "Dimensionality of clean representations" },
  { prefix: "dim_delta_corruption", title: "Dimensionality of ΔX, corruptions" },
  {
    prefix: "dim_delta_corruption_matched",
    title: "Dimensionality of ΔX, corruptions at the attack's L2 size",
  },
  { prefix: "dim_delta_attack", title: "Dimensionality of ΔX, adversarial attacks" },
];

/** Mean and CI over the seeds of each α of `value(record)` (records where it is undefined are left out). */
function perAlpha(
  records: readonly NetworkRecord[],
  value: (r: NetworkRecord) => number | undefined,
  level: number,
) {
  const pairs = records.flatMap((r) => {
    const v = value(r);
    return v === undefined ? [] : [{ key: r.alpha, value: v }];
  });
  return summarizeGroups(pairs, level);
}

/** What AUC means, for captions (docs/method.md §5.4). */
const AUC_NOTE =
  " AUC: area under robust accuracy vs ε from 0 to the largest ε, divided by that ε, i.e. the mean " +
  "robust accuracy over the ε range (between 0 and 1); worst case: an image counts only if it survives every L∞ attack.";

const pctCI = (level: number) => `${Math.round(level * 100)} % t interval over seeds`;

function vsAlpha(records: readonly NetworkRecord[], level: number): FigureSpec[] {
  const out: FigureSpec[] = [];
  for (const f of VS_ALPHA) {
    const points: BandPoint[] = [];
    for (const key of f.keys) {
      for (const g of perAlpha(records, (r) => r.values[key], level)) {
        points.push({ group: columnLabel(key), x: g.key, mean: g.mean, lo: g.lo, hi: g.hi });
      }
    }
    if (new Set(points.map((p) => p.x)).size < 2) continue;
    out.push({
      name: f.name,
      spec: lineWithBands(points, { title: f.title, x: "α", y: f.y, group: "metric" }),
      caption: `${f.title}: mean per α with its ${pctCI(level)}.` +
        (f.keys.some((k) => k.startsWith("adv_auc")) ? AUC_NOTE : ""),
    });
  }
  return out;
}

/** Keys `{prefix}:{a}:{b}…` present in any record, split after the prefix, in first-seen order. */
function qualifiedKeys(records: readonly NetworkRecord[], prefix: string): string[][] {
  const seen = new Map<string, string[]>();
  for (const r of records) {
    for (const k of Object.keys(r.values)) {
      if (k.startsWith(`${prefix}:`) && !seen.has(k)) seen.set(k, k.split(":").slice(1));
    }
  }
  return [...seen.values()];
}

/** Lines per α of `value(record, x)` over the given x positions. */
function curvesPerAlpha(
  records: readonly NetworkRecord[],
  xs: readonly { x: number; value: (r: NetworkRecord) => number | undefined }[],
  level: number,
): BandPoint[] {
  const alphas = [...new Set(records.map((r) => r.alpha))].sort((a, b) => a - b);
  return alphas.flatMap((alpha) =>
    xs.flatMap(({ x, value }) =>
      perAlpha(records.filter((r) => r.alpha === alpha), value, level).map((g) => ({
        group: String(alpha),
        x,
        mean: g.mean,
        lo: g.lo,
        hi: g.hi,
      }))
    )
  );
}

function corruptionCurves(records: readonly NetworkRecord[], level: number): FigureSpec[] {
  const severities = qualifiedKeys(records, "corrupted_acc_sev").map(([s]) => s)
    .sort((a, b) => Number(a) - Number(b));
  if (severities.length === 0) return [];
  const xs = [
    { x: 0, value: (r: NetworkRecord) => r.values.corrupt_clean_acc },
    ...severities.map((s) => ({
      x: Number(s),
      value: (r: NetworkRecord) => r.values[`corrupted_acc_sev:${s}`],
    })),
  ];
  return [{
    name: "corruption_accuracy_vs_severity",
    spec: lineWithBands(curvesPerAlpha(records, xs, level), {
      title: "Corrupted accuracy vs severity",
      x: "severity (0 = clean)",
      y: "accuracy (mean over corruptions)",
      group: "α",
      ordered: true,
    }),
    caption:
      `Accuracy under the benchmark corruptions evaluated, averaged over corruptions, per severity and α ` +
      `(mean and ${pctCI(level)}).`,
  }];
}

function attackCurves(records: readonly NetworkRecord[], level: number): FigureSpec[] {
  const keys = qualifiedKeys(records, "adv_acc");
  const attacks = [...new Set(keys.map(([a]) => a))];
  return attacks.map((attack) => {
    const eps = keys.filter(([a]) => a === attack).map(([, e]) => e).sort((a, b) => Number(a) - Number(b));
    const xs = eps.map((e) => ({
      x: Number(e),
      value: (r: NetworkRecord) => r.values[`adv_acc:${attack}:${e}`],
    }));
    const linf = attack.endsWith("linf");
    return {
      name: `adversarial_accuracy_${attack}`,
      spec: lineWithBands(curvesPerAlpha(records, xs, level), {
        title: `Adversarial accuracy vs ε: ${attack}`,
        x: linf ? "ε (/255)" : "ε (L2, pixels in [0, 1])",
        y: "robust accuracy",
        group: "α",
        ordered: true,
      }),
      caption: `Robust accuracy under ${attack}${
        attack.startsWith("worst") ? " (a sample counts only if it survives every attack of the norm)" : ""
      } per ε and α (mean and ${pctCI(level)}).`,
    };
  });
}

function claimScatters(results: readonly ClaimResult[]): FigureSpec[] {
  return results.filter((r) => r.stats !== null && r.spec.kind !== "within").map(
    ({ spec, check, stats, records }) => {
      const x = (r: NetworkRecord) => (spec.x === "alpha" ? r.alpha : r.values[spec.x]);
      const points = records.map((r) => ({ x: x(r), y: r.values[spec.y], group: String(r.alpha) }));
      const paired = spec.kind === "paired";
      const fit = paired
        ? { slope: 1, intercept: 0 }
        : stats && "intercept" in stats && Number.isFinite(stats.slope)
        ? stats
        : null;
      const estimate = paired
        ? `mean difference ${formatNumber(check.estimate, 3)}`
        : `Spearman ρ = ${formatNumber(check.estimate, 3)}`;
      return {
        name: `claim${spec.id}`,
        spec: scatterWithFit(points, fit, {
          title: `Claim ${spec.id}: ${columnLabel(spec.y)} vs ${columnLabel(spec.x)}`,
          subtitle: `${estimate} ${formatInterval(check.lo, check.hi)}, p = ${
            formatNumber(check.p ?? NaN, 3)
          } (Holm ${formatNumber(check.pAdjusted ?? NaN, 3)}), n = ${check.n}: ${check.verdict}`,
          x: columnLabel(spec.x),
          y: columnLabel(spec.y),
          group: "α",
          ordered: true,
        }),
        caption: `${spec.claim}. One point per network, coloured by α; dashed: ${
          paired ? "y = x (points above it have y > x)" : "least-squares line"
        }.`,
      };
    },
  );
}

function layerHeatmaps(records: readonly NetworkRecord[], level: number): FigureSpec[] {
  return LAYER_HEATMAPS.flatMap(({ prefix, title }) => {
    const layers = qualifiedKeys(records, prefix).filter((k) => k.length === 1).map(([l]) => l);
    if (layers.length === 0) return [];
    const values = layers.flatMap((layer) =>
      perAlpha(records, (r) => r.values[`${prefix}:${layer}`], level).map((g) => ({
        layer,
        group: String(g.key),
        value: g.mean,
      }))
    );
    return [{
      name: `${prefix}_per_layer`,
      spec: layerHeatmap(values, { title, x: "layer", y: "α", group: "components" }),
      caption: `${title}: PCA components reaching the variance threshold, per layer (early → late) and α, ` +
        `mean over seeds.`,
    }];
  });
}

/** One epoch of a network's training curve (the train stage's `{run}.curves.json`). */
export interface EpochPoint {
  epoch: number;
  loss: number;
  val_acc?: number;
}

/** Training curves of every network: validation accuracy and training loss per epoch, coloured by α. */
function trainingCurves(
  records: readonly NetworkRecord[],
  curves: ReadonlyMap<string, readonly EpochPoint[]>,
): FigureSpec[] {
  const points = (f: (e: EpochPoint) => number | undefined): CurvePoint[] =>
    records.flatMap((r) =>
      (curves.get(r.run) ?? []).flatMap((e) => {
        const y = f(e);
        return y === undefined ? [] : [{ line: r.run, group: String(r.alpha), x: e.epoch, y }];
      })
    );
  const out: FigureSpec[] = [];
  const val = points((e) => e.val_acc);
  if (val.length > 0) {
    out.push({
      name: "training_val_accuracy",
      spec: multiLine(val, {
        title: "Validation accuracy per epoch",
        x: "epoch",
        y: "validation accuracy",
        group: "α",
        ordered: true,
      }),
      caption: "Validation accuracy after each epoch, one line per network, coloured by α.",
    });
  }
  const loss = points((e) => e.loss);
  if (loss.length > 0) {
    out.push({
      name: "training_loss",
      spec: multiLine(loss, {
        title: "Training loss per epoch",
        x: "epoch",
        y: "loss (CE − α·μ_SI)",
        group: "α",
        ordered: true,
      }),
      caption:
        "Mean training loss (cross-entropy minus α times the minibatch μ_SI) per epoch, one line per network.",
    });
  }
  return out;
}

/**
 * Every figure of the report that the records support (a figure without data is left out).
 *
 * @example
 * ```ts
 * for (const f of reportFigures(records, results, 0.95)) await Deno.writeTextFile(`${f.name}.svg`, await renderSvg(f.spec));
 * ```
 */
export function reportFigures(
  records: readonly NetworkRecord[],
  results: readonly ClaimResult[],
  level: number,
  curves: ReadonlyMap<string, readonly EpochPoint[]> = new Map(),
): FigureSpec[] {
  return [
    ...vsAlpha(records, level),
    ...trainingCurves(records, curves),
    ...corruptionCurves(records, level),
    ...attackCurves(records, level),
    ...claimScatters(results),
    ...layerHeatmaps(records, level),
  ];
}

/**
 * The bidirectional figure: μ_SI per training method (mean and t interval over seeds) at the variants' α; none
 * without a variant.
 *
 * @example
 * ```ts
 * methodFigures(records, 0, 0.95); // [{ name: "selectivity_by_training_method", … }]
 * ```
 */
export function methodFigures(records: readonly NetworkRecord[], alpha: number, level: number): FigureSpec[] {
  if (!records.some((r) => r.method !== "standard")) return [];
  const groups = perMethod(records, alpha, "mean_si", level);
  return [{
    name: "selectivity_by_training_method",
    spec: pointsWithIntervals(
      groups.map((g) => ({ category: methodLabel(g.key), mean: g.mean, lo: g.lo, hi: g.hi, n: g.n })),
      { title: `μ_SI by training method (α = ${alpha})`, x: "training method", y: "μ_SI" },
    ),
    caption:
      `Mean selectivity of networks trained at α = ${alpha} with each method (mean and ${pctCI(level)}; ` +
      `a method with one seed has no interval). The paper expects adversarial training to raise μ_SI and ` +
      `average-case augmentation to lower it (claim 10).`,
  }];
}
