/**
 * A self-contained HTML report: inline CSS, inline SVG figures, PNG examples as data: URLs, and a
 * Content-Security-Policy that forbids fetching anything, so the file renders the same offline, anywhere.
 *
 * @module
 */
import { encodeBase64 } from "./base64.ts";
import type { ClaimCheck, ExampleImage, Figure, ReportContent, Table } from "./content.ts";
import { escapeHtml } from "./escape.ts";
import { formatCell, formatInterval, formatNumber, slopeText } from "./format.ts";
import { paramsYaml } from "./params_text.ts";

const CSS = `
body { font: 15px/1.45 system-ui, sans-serif; color: #222; max-width: 1100px; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: .2em; } h2 { font-size: 1.25em; border-bottom: 1px solid #ddd; margin-top: 2em; }
table { border-collapse: collapse; font-size: 13px; margin: .5em 0; }
.scroll { overflow-x: auto; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: right; }
th { background: #f3f3f3; } td.text, th.text { text-align: left; } td { white-space: nowrap; } td.wrap { white-space: normal; }
pre { background: #f7f7f7; border: 1px solid #e3e3e3; padding: .8em; overflow-x: auto; font-size: 12px; max-height: 28em; }
.verdict { font-weight: 600; padding: .1em .5em; border-radius: 3px; white-space: nowrap; }
.reproduced { background: #d9f2dd; color: #145a23; }
.contradicted { background: #f8d7d7; color: #7a1616; }
.consistent { background: #eef6e4; color: #3d5a1a; }
.opposite { background: #f8ece0; color: #6b3d12; }
.inconclusive, .toofew { background: #eee; color: #555; }
.unchecked { background: #fff; color: #777; border: 1px dashed #bbb; }
.figures { display: flex; flex-wrap: wrap; gap: 1.5em; }
figure { margin: 0; } figure svg { max-width: 100%; height: auto; display: block; }
figcaption { font-size: 13px; color: #555; max-width: 440px; }
.examples { display: flex; flex-wrap: wrap; gap: 1em; }
.examples img { image-rendering: pixelated; height: 112px; width: auto; max-width: 100%; border: 1px solid #ccc; }
.examples figcaption { max-width: 520px; }
th { white-space: normal; }
td.claim { min-width: 22em; } small { color: #555; }
`;

const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/** Columns per part when a wide table is split (the page is 1100 px wide). */
const MAX_COLUMNS = 10;

function tablePartHtml(columns: string[], rows: Table["rows"]): string {
  const head = columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("");
  const body = rows.map((row) => {
    const cells = row.map((cell) => {
      // Long text wraps; short text and numbers stay on one line.
      const cls = typeof cell !== "string" ? "" : cell.length > 40 ? ' class="text wrap"' : ' class="text"';
      return `<td${cls}>${escapeHtml(formatCell(cell))}</td>`;
    });
    return `<tr>${cells.join("")}</tr>`;
  });
  return `<div class="scroll"><table><thead><tr>${head}</tr></thead><tbody>\n${
    body.join("\n")
  }\n</tbody></table></div>`;
}

/**
 * A table; one wider than {@link MAX_COLUMNS} is split into parts of at most that many columns, each repeating
 * the key columns, so nothing is cut off at the page's right edge.
 */
function tableHtml(table: Table): string {
  const width = table.columns.length;
  table.rows.forEach((row, i) => {
    if (row.length !== width) {
      throw new Error(`report table: row ${i} has ${row.length} cells, expected ${width}`);
    }
  });
  const keys = Math.min(table.keyColumns ?? 1, width);
  if (width <= MAX_COLUMNS) return tablePartHtml(table.columns, table.rows);
  const per = MAX_COLUMNS - keys;
  const parts: string[] = [];
  for (let c = keys; c < width; c += per) {
    const pick = <T>(xs: T[]) => [...xs.slice(0, keys), ...xs.slice(c, c + per)];
    parts.push(tablePartHtml(pick(table.columns), table.rows.map(pick)));
  }
  return parts.join("\n");
}

function verdictClass(v: ClaimCheck["verdict"]): string {
  if (v.startsWith("too few")) return "toofew";
  if (v.startsWith("consistent")) return "consistent";
  if (v.startsWith("opposite")) return "opposite";
  if (v === "undefined statistic") return "inconclusive";
  return v;
}

function claimsHtml(claims: ClaimCheck[]): string {
  if (claims.length === 0) return "<p>No claim could be checked with the results present.</p>";
  const head = [
    "#",
    "claim (statistic; test)",
    "expected",
    "estimate [CI]",
    "slope",
    "n",
    "p",
    "p (Holm)",
    "verdict",
  ]
    .map((h, i) => `<th${i === 1 ? ' class="text"' : ""}>${h}</th>`).join("");
  const rows = claims.map((c) =>
    "<tr>" +
    `<td class="text">${escapeHtml(c.id)}</td>` +
    `<td class="text wrap claim" title="${escapeHtml(c.method)}">${escapeHtml(c.claim)}` +
    `<br><small>${escapeHtml(c.note ?? `${c.statistic}; ${c.test ?? c.method}`)}</small></td>` +
    `<td>${c.expectedSign > 0 ? "positive" : "negative"}</td>` +
    `<td>${escapeHtml(formatNumber(c.estimate))}<br><small>${
      escapeHtml(formatInterval(c.lo, c.hi))
    }</small></td>` +
    `<td class="wrap">${escapeHtml(slopeText(c))}</td>` +
    `<td>${c.n}</td>` +
    `<td>${escapeHtml(c.p === undefined ? "—" : formatNumber(c.p, 3))}</td>` +
    `<td>${escapeHtml(c.pAdjusted === undefined ? "—" : formatNumber(c.pAdjusted, 3))}</td>` +
    `<td><span class="verdict ${verdictClass(c.verdict)}">${escapeHtml(c.verdict)}</span></td>` +
    "</tr>"
  );
  return `<div class="scroll"><table><thead><tr>${head}</tr></thead><tbody>\n${
    rows.join("\n")
  }\n</tbody></table></div>`;
}

function figureHtml(figure: Figure, index: number): string {
  const svg = figure.svg.trim();
  if (!svg.startsWith("<svg") || !svg.endsWith("</svg>")) {
    throw new Error(`report figure ${index} ("${figure.caption}"): not SVG markup (must start with <svg)`);
  }
  if (/<script|\son\w+\s*=/i.test(svg)) {
    throw new Error(`report figure ${index} ("${figure.caption}"): SVG contains script or event handlers`);
  }
  return `<figure>${svg}<figcaption>${escapeHtml(figure.caption)}</figcaption></figure>`;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function exampleHtml(example: ExampleImage, index: number): string {
  if (!PNG_SIGNATURE.every((b, i) => example.png[i] === b)) {
    throw new Error(`report example ${index} ("${example.caption}"): bytes are not a PNG (bad signature)`);
  }
  const alt = escapeHtml(example.caption);
  return `<figure><img alt="${alt}" src="data:image/png;base64,${encodeBase64(example.png)}">` +
    `<figcaption>${alt}</figcaption></figure>`;
}

/**
 * The report as one HTML document. All text is escaped; figures must be SVG markup without scripts; example
 * images must be PNG bytes. Throws naming the offending figure, image or table row.
 *
 * @example
 * ```ts
 * const html = buildHtmlReport({ title: "ResNet20 / CIFAR-10", params, summary, claims, figures, examples, notes: [] });
 * await Deno.writeTextFile("outputs/report/index.html", html);
 * ```
 */
export function buildHtmlReport(content: ReportContent): string {
  const section = (title: string, body: string) =>
    `<section>\n<h2>${escapeHtml(title)}</h2>\n${body}\n</section>`;
  const parts = [
    section(
      "Verdicts on the paper's claims",
      (content.rule ? `<p>${escapeHtml(content.rule)}</p>` : "") + claimsHtml(content.claims),
    ),
    ...(content.sensitivity && content.sensitivity.rows.length > 0
      ? [section(
        "Sensitivity: each claim on its other choices (exploratory: raw p, no Holm adjustment, no verdict)",
        tableHtml(content.sensitivity),
      )]
      : []),
    ...(content.methods
      ? [section(
        "Training methods at one α (bidirectional experiment; mean and 95 % CI over seeds)",
        tableHtml(content.methods),
      )]
      : []),
    section("Summary per α (mean and 95 % CI over seeds)", tableHtml(content.summary)),
    section("Per network (all columns in table.csv)", tableHtml(content.networks)),
    section(
      "Figures",
      content.figures.length === 0
        ? "<p>No figures.</p>"
        : `<div class="figures">\n${content.figures.map(figureHtml).join("\n")}\n</div>`,
    ),
  ];
  if (content.examples.length > 0) {
    parts.push(
      section("Examples", `<div class="examples">\n${content.examples.map(exampleHtml).join("\n")}\n</div>`),
    );
  }
  if (content.notes.length > 0) {
    parts.push(
      section("Notes", `<ul>${content.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("")}</ul>`),
    );
  }
  parts.push(section("Configuration", `<pre>${escapeHtml(paramsYaml(content.params))}</pre>`));
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(content.title)}</title>`,
    `<style>${CSS}</style>`,
    "</head>",
    "<body>",
    `<h1>${escapeHtml(content.title)}</h1>`,
    ...(content.provenance ? [section("Provenance", tableHtml(content.provenance))] : []),
    ...parts,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
