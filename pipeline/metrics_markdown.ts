/**
 * A metrics diff as Markdown that fits a pull-request comment (GitHub allows 65,536 characters): the whole
 * table when it fits, else a summary (how many metrics changed in how many files) with the largest relative
 * changes that fit, and a pointer to the full table written elsewhere.
 *
 * @module
 */
import type { MetricChange } from "./metrics.ts";
import { cell, renderTable } from "./table.ts";

/** GitHub's limit on a comment body, in characters. */
export const PR_COMMENT_LIMIT = 65_536;

/** Markdown table of every row. */
export function metricsDiffTable(rows: readonly MetricChange[], oldLabel: string, newLabel: string): string {
  return renderTable(
    ["Path", "Metric", oldLabel, newLabel, "Change"],
    rows.map((r) => [r.path, r.key, cell(r.old), cell(r.new), r.delta === undefined ? "—" : cell(r.delta)]),
    true,
  );
}

/** How much a row changed, for ordering the summary: relative change of numbers; added, removed or text first. */
function magnitude(r: MetricChange): number {
  if (r.delta === undefined) return Infinity;
  const base = Math.abs(r.old as number);
  return base === 0 ? (r.delta === 0 ? 0 : Infinity) : Math.abs(r.delta) / base;
}

/**
 * The diff as Markdown of at most `limit` characters. When the full table is larger, `fullPath` (where the
 * caller writes the full table) is named in the summary.
 *
 * @example
 * ```ts
 * const md = fitMetricsDiff(rows, "HEAD", "workspace", { limit: PR_COMMENT_LIMIT, fullPath: ".pipeline/metrics-diff.md" });
 * md.text.length <= PR_COMMENT_LIMIT; // true
 * ```
 */
export function fitMetricsDiff(
  rows: readonly MetricChange[],
  oldLabel: string,
  newLabel: string,
  opts: { limit: number; fullPath: string },
): { text: string; truncated: boolean } {
  const full = metricsDiffTable(rows, oldLabel, newLabel);
  if (full.length <= opts.limit) return { text: full, truncated: false };
  const files = new Set(rows.map((r) => r.path)).size;
  const ranked = [...rows].sort((a, b) => magnitude(b) - magnitude(a));
  const changed = rows.filter((r) => r.old !== r.new).length;
  const count = changed === rows.length
    ? `${rows.length} metrics changed`
    : `${rows.length} metrics (${changed} changed)`;
  const where = `${files} file${files === 1 ? "" : "s"}`;
  const size = full.length.toLocaleString("en");
  const head = (shown: number) =>
    `**${count} in ${where}**; the ${shown} largest relative changes are below. ` +
    `Full table (${size} characters, more than a comment holds): \`${opts.fullPath}\`.\n\n`;
  let lo = 0, hi = ranked.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    const text = head(mid) + metricsDiffTable(ranked.slice(0, mid), oldLabel, newLabel);
    if (text.length <= opts.limit) lo = mid;
    else hi = mid - 1;
  }
  return { text: head(lo) + metricsDiffTable(ranked.slice(0, lo), oldLabel, newLabel), truncated: true };
}
