/**
 * Opens the HTML report in headless Chromium (Debian `chromium`) and checks that it renders every figure and
 * image with nothing blocked. Skipped when /usr/bin/chromium is absent (install with `apt-get install -y chromium`).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { buildHtmlReport } from "../../../lib/report/html.ts";
import { sampleReport } from "./fixture.ts";
import { aggregate } from "../../../stages/aggregate.ts";
import { fixtureArgs, writeFixture } from "../../stages/aggregate_fixture.ts";
import { CHROMIUM, CHROMIUM_PRESENT, headlessChromium } from "../../support/chromium.ts";

const present = CHROMIUM_PRESENT;
if (!present) console.warn(`chromium_test: skipped, ${CHROMIUM} not found (apt-get install -y chromium)`);
const chromium = headlessChromium;

Deno.test({
  name:
    "headless Chromium renders the report with every figure and image (slow: ~5–10 s, two Chromium launches)",
  ignore: !present,
  sanitizeResources: false,
  fn: async () => {
    const content = await sampleReport();
    const dir = await Deno.makeTempDir({ prefix: "report-test-" });
    try {
      const file = join(dir, "index.html");
      await Deno.writeTextFile(file, buildHtmlReport(content));
      const { stdout, stderr } = await chromium(["--dump-dom", `file://${file}`]);
      assert.equal(
        stdout.split("<svg").length - 1,
        content.figures.length,
        "one <svg> per figure in the DOM",
      );
      assert.equal(stdout.split("<img").length - 1, content.examples.length);
      assert.ok(stdout.includes("Clean accuracy &lt;falls&gt;"), "escaped caption survives parsing as text");
      assert.ok(!/Refused to (load|apply|execute)/.test(stderr), `CSP blocked something: ${stderr}`);
      const png = join(dir, "shot.png");
      await chromium(["--window-size=1200,1600", `--screenshot=${png}`, `file://${file}`]);
      const shot = await Deno.readFile(png);
      assert.deepEqual([...shot.subarray(1, 4)], [0x50, 0x4e, 0x47], "screenshot is a PNG");
      assert.ok(shot.length > 20_000, `screenshot suspiciously small (${shot.length} bytes)`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "headless Chromium renders the aggregate report with every kind of plot (slow: ~5 s)",
  ignore: !present,
  sanitizeResources: false,
  fn: async () => {
    const root = await Deno.makeTempDir({ prefix: "aggregate-chromium-" });
    try {
      await writeFixture(root);
      const args = fixtureArgs(root);
      const content = await aggregate(args, { aggregate: { resamples: 200, permutations: 100 } });
      const names = [...Deno.readDirSync(join(args.out, "plots"))].map((e) => e.name).sort();
      for (
        const kind of [
          "selectivity_vs_alpha",
          "accuracy_vs_alpha",
          "gradient_variability_vs_alpha",
          "corruption_accuracy_vs_severity",
          "adversarial_accuracy_pgd-linf",
          "adversarial_accuracy_worst-linf",
          "adversarial_auc_vs_alpha",
          "training_val_accuracy",
          "training_loss",
          "claim5",
          "claim8",
          "dim_clean_per_layer",
          "dim_delta_corruption_per_layer",
          "dim_delta_attack_per_layer",
          "dim_delta_corruption_matched_per_layer",
        ]
      ) assert.ok(names.includes(`${kind}.svg`), `${kind}.svg missing from ${names.join()}`);
      const { stdout, stderr } = await chromium(["--dump-dom", `file://${join(args.out, "index.html")}`]);
      assert.equal(stdout.split("<svg").length - 1, content.figures.length, "one <svg> per figure");
      assert.equal(stdout.split("<img").length - 1, content.examples.length);
      assert.ok(!/Refused to (load|apply|execute)/.test(stderr), `CSP blocked something: ${stderr}`);
      // Vega marks a truncated label with "…": every legend and axis label is drawn in full.
      const svgText = [...stdout.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) => m[0]).join("");
      assert.ok(!svgText.includes("…"), "a figure label is truncated");
      // No table is wider than 10 columns (wide tables are split into parts repeating their key columns).
      const widths = [...stdout.matchAll(/<thead><tr>([\s\S]*?)<\/tr><\/thead>/g)]
        .map((m) => m[1].split("<th").length - 1);
      assert.ok(widths.length > 3 && Math.max(...widths) <= 10, `table widths ${widths}`);
      assert.ok(stdout.includes("<h2>Provenance</h2>") && stdout.includes("Sensitivity"));
      if (Deno.env.get("REPORT_SCREENSHOT")) {
        await chromium([
          "--window-size=1200,6000",
          `--screenshot=${Deno.env.get("REPORT_SCREENSHOT")}`,
          `file://${join(args.out, "index.html")}`,
        ]);
      }
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
