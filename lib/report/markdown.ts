/**
 * A Markdown summary of the report (configuration, per-α table, verdicts), for reading in a terminal, a pull
 * request or `summary.md` next to the HTML.
 *
 * @module
 */
import type { ClaimCheck, ReportContent, Table } from "./content.ts";
import { escapeMarkdown } from "./escape.ts";
import { formatCell, formatInterval, formatNumber, slopeText } from "./format.ts";
import { paramsYaml } from "./params_text.ts";

function markdownTable(columns: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [
    line(columns.map(escapeMarkdown)),
    line(columns.map(() => "---")),
    ...rows.map((r) => line(r.map(escapeMarkdown))),
  ].join("\n");
}

function cellTable(table: Table): string {
  return markdownTable(
    table.columns,
    table.rows.map((row, i) => {
      if (row.length !== table.columns.length) {
        throw new Error(`report table: row ${i} has ${row.length} cells, expected ${table.columns.length}`);
      }
      return row.map(formatCell);
    }),
  );
}

function claimsTable(claims: ClaimCheck[]): string {
  if (claims.length === 0) return "No claim could be checked with the results present.";
  return markdownTable(
    ["#", "claim", "expected", "estimate", "CI", "slope", "n", "p", "p (Holm)", "verdict"],
    claims.map((c) => [
      c.id,
      c.claim,
      c.expectedSign > 0 ? "positive" : "negative",
      formatNumber(c.estimate),
      formatInterval(c.lo, c.hi),
      slopeText(c),
      String(c.n),
      c.p === undefined ? "—" : formatNumber(c.p, 3),
      c.pAdjusted === undefined ? "—" : formatNumber(c.pAdjusted, 3),
      c.verdict,
    ]),
  );
}

/** A code fence longer than any run of backticks in `text`, so the text cannot close it. */
function fence(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  return "`".repeat(Math.max(3, longest + 1));
}

/**
 * The Markdown summary: title, verdict table (with each claim's method listed below it), per-α and per-network
 * tables, notes and the configuration as a YAML code block. Figures and images are left to the HTML report.
 *
 * @example
 * ```ts
 * await Deno.writeTextFile("outputs/report/summary.md", buildMarkdownSummary(content));
 * ```
 */
export function buildMarkdownSummary(content: ReportContent): string {
  const yaml = paramsYaml(content.params);
  const f = fence(yaml);
  const out = [
    `# ${escapeMarkdown(content.title)}`,
    "",
    ...(content.provenance ? ["## Provenance", "", cellTable(content.provenance), ""] : []),
    "## Verdicts on the paper's claims",
    "",
    ...(content.rule ? [escapeMarkdown(content.rule), ""] : []),
    claimsTable(content.claims),
    "",
    ...content.claims.map((c) =>
      `- ${escapeMarkdown(c.id)}: ${
        escapeMarkdown(c.note ? c.note : `${c.statistic}; ${c.test ?? ""}; ${c.method}`)
      }`
    ),
    ...(content.claims.length > 0 ? [""] : []),
    ...(content.sensitivity && content.sensitivity.rows.length > 0
      ? [
        "## Sensitivity (exploratory: raw p, no Holm adjustment, no verdict)",
        "",
        cellTable(content.sensitivity),
        "",
      ]
      : []),
    ...(content.methods
      ? ["## Training methods (bidirectional experiment)", "", cellTable(content.methods), ""]
      : []),
    "## Summary per α (mean and 95 % CI over seeds)",
    "",
    cellTable(content.summary),
    "",
    "## Per network",
    "",
    cellTable(content.networks),
    "",
  ];
  if (content.notes.length > 0) {
    out.push("## Notes", "", ...content.notes.map((n) => `- ${escapeMarkdown(n)}`), "");
  }
  out.push("## Configuration", "", `${f}yaml`, yaml.trimEnd(), f, "");
  return out.join("\n");
}
