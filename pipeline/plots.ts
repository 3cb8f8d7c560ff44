/**
 * Plots: the `plots` outputs declared in pipeline.yaml (JSON arrays of records, or CSV/TSV with a header),
 * turned into Vega-Lite specs, one chart per plot file, each overlaying the revisions it is given. Options
 * from pipeline.yaml: `x`, `y` (a field or comma-separated fields; default every numeric field but x),
 * `title`, `x_label`, `y_label`, `template` (`linear` default, `scatter`, `bar`), or `spec`: a Vega-Lite file
 * whose data is replaced by the plot's rows (wide form, with a `rev` field).
 *
 * @module
 */
import type { TopLevelSpec } from "vega-lite";
import { PipelineError } from "./errors.ts";
import type { OutSpec } from "./spec.ts";

/** One revision's rows of a plot file. */
export interface PlotSeries {
  /** The revision, or "workspace". */
  readonly rev: string;
  readonly rows: readonly Record<string, unknown>[];
}

/**
 * Rows of a plot file: a JSON array of objects (or an object holding one such array), or CSV/TSV with a header
 * line. `source` names the file in errors.
 *
 * @example
 * ```ts
 * parsePlotData('[{"epoch": 1, "acc": 0.5}]', "curves.json"); // [{ epoch: 1, acc: 0.5 }]
 * parsePlotData("epoch,acc\n1,0.5\n", "curves.csv"); // [{ epoch: 1, acc: 0.5 }]
 * ```
 */
export function parsePlotData(text: string, source: string): Record<string, unknown>[] {
  if (/\.(csv|tsv)$/i.test(source)) {
    const sep = source.toLowerCase().endsWith(".tsv") ? "\t" : ",";
    const [head, ...lines] = text.split(/\r?\n/).filter((l) => l.trim() !== "");
    const names = (head ?? "").split(sep).map((s) => s.trim());
    return lines.map((l) =>
      Object.fromEntries(
        l.split(sep).map((v, i) => [names[i], v.trim() !== "" && isFinite(Number(v)) ? Number(v) : v]),
      )
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new PipelineError(`${source}: plot data is not valid JSON (${(e as Error).message})`);
  }
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const arrays = Object.values(value).filter(Array.isArray);
    if (arrays.length === 1) value = arrays[0];
  }
  if (!Array.isArray(value) || !value.every((r) => r && typeof r === "object" && !Array.isArray(r))) {
    throw new PipelineError(`${source}: plot data must be an array of records (or CSV/TSV with a header)`);
  }
  return value as Record<string, unknown>[];
}

/** The y fields of a plot: those named, else every numeric field of the rows except x. */
function yFields(opts: Readonly<Record<string, string>>, x: string, series: readonly PlotSeries[]): string[] {
  if (opts.y) return opts.y.split(",").map((s) => s.trim()).filter(Boolean);
  const fields = new Set<string>();
  for (const s of series) {
    for (const r of s.rows) {
      for (const [k, v] of Object.entries(r)) if (k !== x && typeof v === "number") fields.add(k);
    }
  }
  return [...fields];
}

/**
 * The Vega-Lite spec of one declared plot over `series` (one per revision); `customSpec` is the parsed
 * `spec` file when the plot names one.
 *
 * @example
 * ```ts
 * const spec = plotSpec(out, [{ rev: "workspace", rows }]);
 * const svg = await renderSvg(spec);
 * ```
 */
export function plotSpec(
  out: OutSpec,
  series: readonly PlotSeries[],
  customSpec?: Record<string, unknown>,
): TopLevelSpec {
  const opts = out.plot ?? {};
  const x = opts.x ?? "step";
  const wide = series.flatMap((s) => s.rows.map((r, i) => ({ [x]: i, ...r, rev: s.rev })));
  if (customSpec) return { ...customSpec, data: { values: wide } } as TopLevelSpec;
  const ys = yFields(opts, x, series);
  const multiRev = series.length > 1;
  const long = series.flatMap((s) =>
    s.rows.flatMap((r, i) =>
      ys.filter((y) => typeof r[y] === "number").map((y) => ({
        x: r[x] ?? i,
        value: r[y],
        series: [multiRev ? s.rev : "", ys.length > 1 ? y : ""].filter(Boolean).join(" · ") || y,
      }))
    )
  );
  const template = opts.template ?? "linear";
  const mark = template === "scatter"
    ? { type: "point" }
    : template === "bar"
    ? { type: "bar" }
    : { type: "line", point: true };
  if (!["linear", "scatter", "bar"].includes(template)) {
    throw new PipelineError(
      `plot '${out.path}': template '${template}' is not one of linear, scatter, bar (or give a spec file)`,
    );
  }
  return {
    title: opts.title ?? out.path,
    width: 420,
    height: 240,
    data: { values: long },
    mark,
    encoding: {
      x: { field: "x", type: "quantitative", title: opts.x_label ?? x },
      y: { field: "value", type: "quantitative", title: opts.y_label ?? ys.join(", ") },
      ...(multiRev || ys.length > 1 ? { color: { field: "series", type: "nominal", title: null } } : {}),
    },
  } as TopLevelSpec;
}

const escapeHtml = (s: string) =>
  s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

/** One chart of the page: its plot file, the SVG (or why there is none). */
export interface PlotFigure {
  readonly path: string;
  readonly svg?: string;
  readonly note?: string;
}

/**
 * One self-contained HTML page with every figure's SVG inline (no script, no external resource; a CSP forbids
 * loading any).
 *
 * @example
 * ```ts
 * await Deno.writeTextFile(".pipeline/plots/index.html", plotsPage("Plots", figures));
 * ```
 */
export function plotsPage(title: string, figures: readonly PlotFigure[]): string {
  const body = figures.map((f) =>
    f.svg
      ? `<section data-plot="${escapeHtml(f.path)}">\n${f.svg}</section>`
      : `<section data-plot="${escapeHtml(f.path)}"><h2>${escapeHtml(f.path)}</h2>` +
        `<p class="note">${escapeHtml(f.note ?? "no data")}</p></section>`
  ).join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title>
<style>
body { font-family: sans-serif; margin: 2em; color: #222; }
main { display: flex; flex-wrap: wrap; gap: 2em; }
section { flex: 0 0 auto; }
h2 { font-size: 0.95em; font-family: monospace; font-weight: normal; }
.note { color: #a00; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<main>
${body}
</main>
</body>
</html>
`;
}
