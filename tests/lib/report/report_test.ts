import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { buildHtmlReport } from "../../../lib/report/html.ts";
import { buildMarkdownSummary } from "../../../lib/report/markdown.ts";
import { escapeHtml, escapeMarkdown } from "../../../lib/report/escape.ts";
import { encodeBase64 } from "../../../lib/report/base64.ts";
import { formatNumber } from "../../../lib/report/format.ts";
import { gradientPng, sampleReport } from "./fixture.ts";

Deno.test("escaping covers the markup characters", () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  assert.equal(escapeMarkdown("μ_SI | *α*\nnext"), "μ\\_SI \\| \\*α\\* next");
});

Deno.test("base64 matches node:buffer, including sizes that need padding and large inputs", () => {
  for (const n of [0, 1, 2, 3, 4, 5, 100_000]) {
    const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + 11) & 255);
    assert.equal(encodeBase64(bytes), Buffer.from(bytes).toString("base64"), `n=${n}`);
  }
});

Deno.test("numbers format to 4 significant digits and undefined values to a dash", () => {
  assert.equal(formatNumber(0.123456), "0.1235");
  assert.equal(formatNumber(-2.5), "-2.5");
  assert.equal(formatNumber(1234567), "1.235e+6");
  assert.equal(formatNumber(NaN), "—");
  assert.equal(formatNumber(null), "—");
});

Deno.test("HTML report is self-contained, escaped and holds every figure and example", async () => {
  const content = await sampleReport();
  const html = buildHtmlReport(content);
  assert.ok(html.startsWith("<!DOCTYPE html>"));
  // Every fetchable reference is inline: src/href only as data: URLs or in-document fragments.
  for (const m of html.matchAll(/\s(?:src|href|xlink:href)="([^"]*)"/g)) {
    assert.ok(/^(data:|#)/.test(m[1]), `external reference ${m[1]}`);
  }
  assert.ok(!/<link|<script|@import|url\((?!#)/i.test(html), "no external stylesheet, script or CSS url");
  assert.ok(html.includes("Content-Security-Policy"));
  assert.equal(html.split("<svg").length - 1, content.figures.length);
  assert.equal(html.split('src="data:image/png;base64,').length - 1, content.examples.length);
  assert.ok(html.includes(`base64,${Buffer.from(gradientPng()).toString("base64")}"`));
  // Text is escaped: the title, a caption and a claim with markup characters.
  assert.ok(html.includes("<title>ResNet20 / CIFAR-10 &lt;test&gt; report</title>"));
  assert.ok(html.includes("Clean accuracy &lt;falls&gt; as selectivity rises &amp; the fit is dashed."));
  assert.ok(!html.includes("<test>") && !html.includes("<falls>"));
  // Verdicts come through with their class, and NaN cells show as a dash.
  assert.ok(html.includes('<span class="verdict reproduced">reproduced</span>'));
  assert.ok(html.includes('<span class="verdict toofew">too few networks (9)</span>'));
  assert.ok(html.includes(">0.21 μ_SI per α</td>"), "slope with its unit");
  assert.ok(html.includes("<td>—</td>"));
  assert.ok(html.includes("alpha:\n    - -1"), "params rendered as YAML");
});

Deno.test("HTML report rejects bad figures, images and table rows, naming them", async () => {
  const content = await sampleReport();
  assert.throws(
    () => buildHtmlReport({ ...content, figures: [{ svg: "<div/>", caption: "bad" }] }),
    /figure 0 \("bad"\): not SVG/,
  );
  assert.throws(
    () =>
      buildHtmlReport({ ...content, figures: [{ svg: "<svg><script>x()</script></svg>", caption: "s" }] }),
    /script/,
  );
  assert.throws(
    () => buildHtmlReport({ ...content, examples: [{ png: new Uint8Array([1, 2, 3]), caption: "x" }] }),
    /example 0 \("x"\): bytes are not a PNG/,
  );
  assert.throws(
    () => buildHtmlReport({ ...content, summary: { columns: ["a", "b"], rows: [[1]] } }),
    /row 0 has 1 cells, expected 2/,
  );
});

Deno.test("Markdown summary has the verdict and per-α tables, escaped, and the params in a fence", async () => {
  const md = buildMarkdownSummary(await sampleReport());
  const lines = md.split("\n");
  assert.equal(lines[0], "# ResNet20 / CIFAR-10 \\<test\\> report");
  assert.ok(
    lines.includes("| \\# | claim | expected | estimate | CI | slope | n | p | p (Holm) | verdict |"),
  );
  assert.ok(
    lines.includes(
      "| 1 | μ\\_SI increases with α | positive | 0.9 | \\[0.8, 0.95\\] | 0.21 μ\\_SI per α | 12 | 0.001 | " +
        "0.002 | reproduced |",
    ),
    lines.join("\n"),
  );
  assert.ok(lines.some((l) => l.startsWith("| 6 | Adversarial accuracy vs μ\\_SI \\| positive |")));
  assert.ok(lines.includes("| 1 | 3 | 0.6 | \\[0.55, 0.65\\] | — |"));
  assert.ok(lines.includes("| a1-s0 | 1 | 0 | 0.6 |"), "per-network table");
  const fenceStart = lines.indexOf("```yaml");
  assert.ok(fenceStart > 0 && lines.slice(fenceStart).includes("```"));
  // Every table row has as many cells as its header.
  for (const l of lines.filter((l) => l.startsWith("| "))) {
    const cells = l.replace(/\\\|/g, "").split("|").length - 2;
    assert.ok(cells === 10 || cells === 5 || cells === 4, `row with ${cells} cells: ${l}`);
  }
  const fenced = buildMarkdownSummary({ ...(await sampleReport()), params: { note: "a ``` b" } });
  assert.ok(fenced.includes("````yaml"), "fence longer than the backticks inside");
});
