/**
 * Renders a Vega-Lite spec to an SVG string in Deno, headless: Vega-Lite compiles it to Vega, a Vega `View`
 * with renderer "none" runs the dataflow, and `toSVG()` writes the scenegraph as SVG markup.
 *
 * Without node-canvas, Vega estimates text widths from character counts instead of measuring glyphs, so label
 * spacing is approximate; the SVG text itself is exact and the viewer's fonts draw it.
 *
 * Determinism and embedding: Vega numbers clip paths and gradients from module-level counters; they are reset
 * before each render and every id is then prefixed with a digest of the spec, so the same spec always gives the
 * same bytes, and different figures inlined into one HTML page never share an id.
 *
 * @module
 */
import * as vega from "vega";
import * as vl from "vega-lite";
import type { TopLevelSpec } from "vega-lite";

/** Shared look of every figure (fonts and sizes chosen to read well when inlined in the report). */
const CONFIG = {
  font: "sans-serif",
  background: "white",
  padding: 8,
  title: { fontSize: 14, subtitleFontSize: 11, anchor: "start" },
  axis: { labelFontSize: 11, titleFontSize: 12 },
  // No label truncation (long metric names stayed indistinguishable at the 160 px default), legends below the
  // plot so long labels do not squeeze it, and swatches drawn as full-opacity strokes (not the 20 % band).
  legend: {
    labelFontSize: 11,
    titleFontSize: 12,
    labelLimit: 0,
    orient: "bottom",
    direction: "vertical",
    symbolOpacity: 1,
    symbolStrokeWidth: 3,
  },
} as const;

/** FNV-1a of a string, as 8 hex digits. */
function digest(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, "0");
}

/** Prefixes every `id="…"` and its references (`url(#…)`, `href="#…"`) with `prefix-`. */
function prefixIds(svg: string, prefix: string): string {
  const ids = new Set([...svg.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]));
  if (ids.size === 0) return svg;
  return svg
    .replace(/(\sid=")([^"]+)"/g, (_, head, id) => `${head}${prefix}-${id}"`)
    .replace(/url\(#([^)]+)\)/g, (whole, id) => (ids.has(id) ? `url(#${prefix}-${id})` : whole))
    .replace(/(href=")#([^"]+)"/g, (whole, head, id) => (ids.has(id) ? `${head}#${prefix}-${id}"` : whole));
}

/**
 * The SVG markup of a Vega-Lite spec (starts with `<svg`). Throws with Vega-Lite's message on an invalid spec.
 *
 * @example
 * ```ts
 * const svg = await renderSvg(scatterWithFit(points, fit, labels));
 * await Deno.writeTextFile("outputs/report/plots/acc_vs_si.svg", svg);
 * ```
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const full = { ...spec, config: { ...CONFIG, ...spec.config } } as TopLevelSpec;
  const compiled = vl.compile(full).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    vega.resetSVGDefIds();
    const svg = await view.toSVG();
    return prefixIds(svg, `v${digest(JSON.stringify(full))}`);
  } finally {
    view.finalize();
  }
}
