/**
 * Number formatting shared by the HTML and Markdown reports.
 *
 * @module
 */

/** A table cell: text as is, numbers formatted, null/NaN shown as an em dash. */
export type Cell = string | number | null;

/**
 * A number with `digits` significant digits (default 4) without exponent noise for ordinary magnitudes; NaN,
 * ±Infinity and null show as "—".
 *
 * @example
 * ```ts
 * formatNumber(0.123456); // "0.1235"
 * formatNumber(NaN);      // "—"
 * ```
 */
export function formatNumber(v: number | null, digits = 4): string {
  if (v === null || !Number.isFinite(v)) return "—";
  if (v === 0) return "0";
  const magnitude = Math.abs(v);
  if (magnitude >= 1e-4 && magnitude < 1e6) return String(Number(v.toPrecision(digits)));
  return v.toExponential(digits - 1);
}

/** A cell as text: strings unchanged, numbers through {@link formatNumber}. */
export function formatCell(cell: Cell): string {
  return typeof cell === "string" ? cell : formatNumber(cell);
}

/**
 * An interval as "[lo, hi]", or "—" when undefined.
 *
 * @example
 * ```ts
 * formatInterval(-0.66, -0.09); // "[-0.66, -0.09]"
 * ```
 */
export function formatInterval(lo: number, hi: number): string {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return "—";
  return `[${formatNumber(lo)}, ${formatNumber(hi)}]`;
}

/** The slope with its unit, e.g. "-0.42 ratio per μ_SI" (a dash when there is none). */
export function slopeText(c: { slope?: number; slopeUnit?: string }): string {
  return c.slope === undefined || !Number.isFinite(c.slope)
    ? "—"
    : `${formatNumber(c.slope, 3)} ${c.slopeUnit ?? ""}`.trim();
}
