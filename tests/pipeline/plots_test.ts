import { deepStrictEqual as assertEquals, match as assertMatch, ok as assert } from "node:assert/strict";
import { git, makeToy } from "./helpers.ts";
import { CHROMIUM, CHROMIUM_PRESENT, headlessChromium } from "../support/chromium.ts";

const present = CHROMIUM_PRESENT;
if (!present) {
  if (Deno.env.get("CI")) {
    throw new Error(`plots_test: ${CHROMIUM} is missing in CI (apt-get install -y chromium)`);
  }
  console.warn(
    `\n*** plots_test: Chromium checks SKIPPED, ${CHROMIUM} not found (apt-get install -y chromium) ***\n`,
  );
}

/** The DOM Chromium builds from `file` (headless, no network). */
async function chromiumDom(file: string): Promise<string> {
  return (await headlessChromium(["--dump-dom", `file://${file}`])).stdout;
}

/** Two "networks" writing training curves (plots) and a CSV plot with two y fields. */
function toyProject() {
  const curve = (s: string) =>
    `echo '[{"epoch": 1, "val_acc": 0.${s}}, {"epoch": 2, "val_acc": 0.${s}5}, {"epoch": 3, "val_acc": \${top}}]'`;
  return {
    stages: {
      train: {
        matrix: { s: [1, 2] },
        cmd: `mkdir -p m && ${curve("${item.s}")} > m/c\${item.s}.json`,
        params: ["top"],
        plots: [{ "m/c${item.s}.json": { x: "epoch", y: "val_acc", title: "curve <${item.s}>" } }],
      },
      loss: {
        cmd: "printf 'step,loss,acc\\n0,2,0.1\\n1,1,0.5\\n' > loss.csv",
        plots: ["loss.csv"],
      },
    },
  };
}

Deno.test({
  name: "plots show: one self-contained HTML page that Chromium renders with one SVG per plot",
  sanitizeResources: false,
  fn: async () => {
    await using toy = await makeToy(toyProject(), { top: 0.9 });
    assertEquals((await toy.cli("repro")).code, 0);
    const r = await toy.cli("plots", "show");
    assertEquals(r.code, 0, r.out);
    assertMatch(r.out, /3 of 3 plots -> /);
    const page = toy.read(".pipeline/plots/index.html");
    assert(!/<script|https?:\/\/(?!www\.w3\.org)/.test(page), "no script and no external resource");
    assert(page.includes("curve &lt;1&gt;"), "titles are escaped");
    const one = await toy.cli("plots", "show", "train@2", "-o", "one.html");
    assertEquals(one.code, 0, one.out);
    assertEquals(toy.read("one.html").split("<svg").length - 1, 1, "a target selects its plots");
    assertEquals((await toy.cli("plots", "show", "nope")).code, 2);
    if (!present) return;
    const dom = await chromiumDom(`${toy.dir}/.pipeline/plots/index.html`);
    assertEquals(dom.split("<svg").length - 1, 3, "one SVG per declared plot");
    for (const path of ["m/c1.json", "m/c2.json", "loss.csv"]) {
      assert(dom.includes(`data-plot="${path}"`), path);
    }
    const loss = dom.slice(dom.indexOf('data-plot="loss.csv"'));
    assert(loss.includes(">acc<") && loss.includes(">loss<"), "both y fields of the CSV are in the legend");
  },
});

Deno.test({
  name: "plots diff overlays a revision on the workspace in each chart",
  sanitizeResources: false,
  fn: async () => {
    await using toy = await makeToy(toyProject(), { top: 0.9 });
    toy.write(".gitignore", ".pipeline/\nm/\n");
    await git(toy.dir, "init", "-q");
    assertEquals((await toy.cli("repro")).code, 0);
    await git(toy.dir, "add", "-A");
    await git(toy.dir, "commit", "-qm", "base");
    toy.write("params.yaml", "top: 0.99\n");
    assertEquals((await toy.cli("repro")).code, 0);
    const r = await toy.cli("plots", "diff", "-t", "train", "-o", "diff.html");
    assertEquals(r.code, 0, r.out);
    const page = toy.read("diff.html");
    assertEquals(page.split("<svg").length - 1, 2);
    assertMatch(page, /Plots: HEAD vs workspace/);
    for (const svg of page.split("<svg").slice(1)) {
      assert(svg.includes(">HEAD<") && svg.includes(">workspace<"), "both revisions in each chart's legend");
    }
    if (!present) return;
    assertEquals((await chromiumDom(`${toy.dir}/diff.html`)).split("<svg").length - 1, 2);
  },
});
