/**
 * Tables for the terminal (aligned columns) and for pull requests (Markdown).
 *
 * @module
 */

/**
 * Render rows as aligned text, or as a Markdown table with `markdown`.
 *
 * @example
 * ```ts
 * renderTable(["Key", "Value"], [["lr", "0.1"]], true); // "| Key | Value |\n|---|---|\n| lr | 0.1 |"
 * ```
 */
export function renderTable(header: string[], rows: string[][], markdown = false): string {
  if (markdown) {
    const esc = (c: string) => c.replaceAll("|", "\\|");
    return [header, header.map(() => "---"), ...rows].map((r, i) =>
      `| ${(i === 1 ? r : r.map(esc)).join(" | ")} |`
    ).join("\n");
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [header, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd()).join("\n");
}

/** A value for display: numbers rounded to `precision` significant digits, absent as "—". */
export function cell(v: unknown, precision = 5): string {
  if (v === undefined) return "—";
  if (typeof v === "number") {
    return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(precision)));
  }
  return typeof v === "string" ? v : JSON.stringify(v);
}
