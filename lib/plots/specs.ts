/**
 * Vega-Lite specs for the report's figures, built from plain rows by small functions. Every spec carries its
 * data inline (no URLs), so rendering needs no file or network access. NaN values are written as null, which
 * Vega-Lite leaves out of the marks (e.g. the band of an α with a single seed).
 *
 * @module
 */
import type { TopLevelSpec } from "vega-lite";

/** Axis and title text of a figure. */
export interface Labels {
  title: string;
  /** A second title line (e.g. "Spearman ρ = −0.41 [−0.66, −0.09]"). */
  subtitle?: string;
  x: string;
  y: string;
  /** Legend title of the colour channel. */
  group?: string;
  /**
   * The groups are ordered values (e.g. α): coloured by a sequential scale in the order given, not by
   * categorical hues.
   */
  ordered?: boolean;
}

/** Pixels added on each side of a continuous scale's data range, so points at the extremes are not clipped. */
const SCALE_PADDING = 10;

/** A colour channel for `field`: categorical, or sequential (viridis) in the given order when `ordered`. */
function colorChannel(
  field: string,
  labels: Labels,
  order: string[],
  legend?: Record<string, unknown> | null,
) {
  return {
    field,
    type: labels.ordered ? "ordinal" : "nominal",
    title: labels.group ?? "group",
    sort: order,
    ...(labels.ordered ? { scale: { scheme: "viridis" } } : {}),
    ...(legend === undefined ? {} : { legend }),
  } as const;
}

/** One point of a line with an error band: `mean` at `x`, the band from `lo` to `hi`. */
export interface BandPoint {
  group: string;
  x: number;
  mean: number;
  lo: number;
  hi: number;
}

/** One point of a scatter plot. */
export interface ScatterPoint {
  x: number;
  y: number;
  group?: string;
}

/** One value of a per-layer figure: `value` for `layer` (ordered as given) in `group` (e.g. an α). */
export interface LayerValue {
  layer: string;
  group: string;
  value: number;
}

const WIDTH = 360;
const HEIGHT = 240;

function title(labels: Labels): { text: string; subtitle?: string } {
  return labels.subtitle === undefined
    ? { text: labels.title }
    : { text: labels.title, subtitle: labels.subtitle };
}

/** Groups in order of first appearance (legends follow the caller's order, e.g. ascending α, not text order). */
function groupOrder(rows: readonly { group?: string }[]): string[] {
  return [...new Set(rows.map((r) => r.group ?? ""))];
}

function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

/**
 * Lines of the mean per group with a shaded band (e.g. a 95 % CI across seeds), x quantitative; the legend
 * is shown only when there is more than one group.
 *
 * @example
 * ```ts
 * lineWithBands([{ group: "PGD", x: 0.5, mean: 0.4, lo: 0.35, hi: 0.45 }, …],
 *   { title: "Accuracy vs ε", x: "ε (/255)", y: "accuracy", group: "attack" });
 * ```
 */
export function lineWithBands(points: readonly BandPoint[], labels: Labels): TopLevelSpec {
  const values = points.map((p) => ({
    group: p.group,
    x: p.x,
    mean: finiteOrNull(p.mean),
    lo: finiteOrNull(p.lo),
    hi: finiteOrNull(p.hi),
  }));
  const x = {
    field: "x",
    type: "quantitative",
    title: labels.x,
    scale: { zero: false, padding: SCALE_PADDING },
  } as const;
  // A single group needs no legend.
  const legend = new Set(points.map((p) => p.group)).size > 1 ? {} : null;
  const color = colorChannel("group", labels, groupOrder(points), legend);
  return {
    title: title(labels),
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    encoding: { x, color },
    layer: [
      {
        mark: { type: "area", opacity: 0.2 },
        encoding: {
          y: {
            field: "lo",
            type: "quantitative",
            title: labels.y,
            scale: { zero: false, padding: SCALE_PADDING },
          },
          y2: { field: "hi" },
        },
      },
      {
        mark: { type: "line", point: true },
        encoding: { y: { field: "mean", type: "quantitative", title: labels.y } },
      },
    ],
  };
}

/**
 * A scatter plot with a fitted line y = intercept + slope·x drawn across the range of x (the fit comes from
 * lib/stats, so the figure shows exactly the reported slope). Pass `fit: null` for points only.
 *
 * @example
 * ```ts
 * const fit = linearFit(si, acc);
 * scatterWithFit(points, fit, { title: "Clean accuracy vs μ_SI", x: "μ_SI", y: "accuracy", group: "α" });
 * ```
 */
export function scatterWithFit(
  points: readonly ScatterPoint[],
  fit: { slope: number; intercept: number } | null,
  labels: Labels,
): TopLevelSpec {
  const values = points.map((p) => ({ x: p.x, y: p.y, group: p.group ?? "" }));
  const xs = points.map((p) => p.x).filter(Number.isFinite);
  const scale = { zero: false, padding: SCALE_PADDING } as const;
  const x = { field: "x", type: "quantitative", title: labels.x, scale } as const;
  const y = { field: "y", type: "quantitative", title: labels.y, scale } as const;
  const scatter = {
    data: { values },
    mark: { type: "point", filled: true, size: 50 },
    encoding: {
      x,
      y,
      ...(points.some((p) => p.group !== undefined)
        ? {
          color: colorChannel("group", labels, groupOrder(values)),
        }
        : {}),
    },
  } as const;
  if (fit === null || xs.length === 0) {
    return { title: title(labels), width: WIDTH, height: HEIGHT, ...scatter };
  }
  const ends = [Math.min(...xs), Math.max(...xs)].map((v) => ({ x: v, y: fit.intercept + fit.slope * v }));
  return {
    title: title(labels),
    width: WIDTH,
    height: HEIGHT,
    layer: [
      scatter,
      {
        data: { values: ends },
        mark: { type: "line", color: "#333", strokeDash: [6, 3] },
        encoding: { x, y },
      },
    ],
  };
}

/**
 * Grouped bars of a per-layer value: layers along x in the order given, one bar per group inside each layer.
 *
 * @example
 * ```ts
 * layerBars([{ layer: "block1", group: "α=0", value: 0.31 }, …], { title: "SI per layer", x: "layer", y: "SI" });
 * ```
 */
export function layerBars(values: readonly LayerValue[], labels: Labels): TopLevelSpec {
  const layers = [...new Set(values.map((v) => v.layer))];
  return {
    title: title(labels),
    width: { step: 12 * Math.max(1, new Set(values.map((v) => v.group)).size) },
    height: HEIGHT,
    data: { values: values.map((v) => ({ ...v, value: finiteOrNull(v.value) })) },
    mark: "bar",
    encoding: {
      x: { field: "layer", type: "ordinal", sort: layers, title: labels.x },
      xOffset: { field: "group", type: "nominal", sort: groupOrder(values) },
      y: { field: "value", type: "quantitative", title: labels.y },
      color: colorChannel("group", labels, groupOrder(values)),
    },
  };
}

/**
 * A heatmap of a per-layer value: layers along x (order given), groups along y, value as colour, with the
 * value printed in each cell.
 *
 * @example
 * ```ts
 * layerHeatmap(values, { title: "Participation ratio", x: "layer", y: "α", group: "PR" });
 * ```
 */
export function layerHeatmap(values: readonly LayerValue[], labels: Labels): TopLevelSpec {
  const layers = [...new Set(values.map((v) => v.layer))];
  const groups = [...new Set(values.map((v) => v.group))];
  const finite = values.map((v) => v.value).filter(Number.isFinite);
  // Cell text turns white on the darker half of the colour scale.
  const mid = finite.length === 0 ? 0 : (Math.min(...finite) + Math.max(...finite)) / 2;
  return {
    title: title(labels),
    width: { step: 44 },
    height: { step: 24 },
    data: { values: values.map((v) => ({ ...v, value: finiteOrNull(v.value) })) },
    encoding: {
      x: { field: "layer", type: "ordinal", sort: layers, title: labels.x, axis: { labelAngle: -30 } },
      y: { field: "group", type: "ordinal", sort: groups, title: labels.y },
    },
    layer: [
      {
        mark: "rect",
        encoding: { color: { field: "value", type: "quantitative", title: labels.group ?? "value" } },
      },
      {
        mark: { type: "text", fontSize: 10 },
        encoding: {
          text: { field: "value", type: "quantitative", format: ".3~g" },
          color: { condition: { test: `datum.value > ${mid}`, value: "white" }, value: "black" },
        },
      },
    ],
  };
}

/** One point of a per-network curve (e.g. validation accuracy at an epoch). */
export interface CurvePoint {
  /** The curve (e.g. a network's run name). */
  line: string;
  /** Its colour group (e.g. its α), ordered as given. */
  group: string;
  x: number;
  y: number;
}

/**
 * One line per `line`, coloured by `group` (sequential when `labels.ordered`), e.g. training curves of every
 * network coloured by α.
 *
 * @example
 * ```ts
 * multiLine([{ line: "a0-s1", group: "0", x: 1, y: 0.71 }, …], { title: "Validation accuracy", x: "epoch", y: "accuracy", group: "α", ordered: true });
 * ```
 */
export function multiLine(points: readonly CurvePoint[], labels: Labels): TopLevelSpec {
  const scale = { zero: false, padding: SCALE_PADDING } as const;
  return {
    title: title(labels),
    width: WIDTH,
    height: HEIGHT,
    data: { values: points.map((p) => ({ ...p, y: finiteOrNull(p.y) })) },
    mark: { type: "line", point: true, strokeWidth: 1.5 },
    encoding: {
      // Whole-number ticks: x is a count (e.g. epochs).
      x: { field: "x", type: "quantitative", title: labels.x, scale, axis: { tickMinStep: 1, format: "d" } },
      y: { field: "y", type: "quantitative", title: labels.y, scale },
      detail: { field: "line", type: "nominal" },
      color: colorChannel("group", labels, groupOrder(points)),
    },
  };
}

/** A category's mean with its interval (e.g. μ_SI of one training method over seeds). */
export interface IntervalPoint {
  category: string;
  mean: number;
  lo: number;
  hi: number;
  n: number;
}

/**
 * Means as points with interval bars, categories along x in the order given.
 *
 * @example
 * ```ts
 * pointsWithIntervals([{ category: "standard", mean: 0.3, lo: 0.28, hi: 0.32, n: 3 }, …], { title: "μ_SI by method", x: "method", y: "μ_SI" });
 * ```
 */
export function pointsWithIntervals(points: readonly IntervalPoint[], labels: Labels): TopLevelSpec {
  const values = points.map((p) => ({
    category: p.category,
    mean: finiteOrNull(p.mean),
    lo: finiteOrNull(p.lo),
    hi: finiteOrNull(p.hi),
    n: p.n,
  }));
  const x = {
    field: "category",
    type: "ordinal",
    sort: points.map((p) => p.category),
    title: labels.x,
    axis: { labelAngle: 0, labelLimit: 0 },
  } as const;
  const scale = { zero: false, padding: SCALE_PADDING } as const;
  return {
    title: title(labels),
    width: { step: 110 },
    height: HEIGHT,
    data: { values },
    encoding: { x },
    layer: [
      {
        mark: { type: "rule", strokeWidth: 2 },
        encoding: { y: { field: "lo", type: "quantitative", title: labels.y, scale }, y2: { field: "hi" } },
      },
      {
        mark: { type: "point", filled: true, size: 80 },
        encoding: { y: { field: "mean", type: "quantitative", title: labels.y, scale } },
      },
    ],
  };
}
