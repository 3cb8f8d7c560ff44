import assert from "node:assert/strict";
import { renderSvg } from "../../../lib/plots/render.ts";
import { layerBars, layerHeatmap, lineWithBands, scatterWithFit } from "../../../lib/plots/specs.ts";

/** Checks that every opened tag is closed in order (a small well-formedness test; Deno has no DOMParser). */
function assertBalancedTags(svg: string): void {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([A-Za-z][\w:-]*)[^>]*?(\/?)>/g)) {
    const [, closing, name, selfClosing] = m;
    if (selfClosing) continue;
    if (closing) assert.equal(stack.pop(), name, `unbalanced </${name}> at ${m.index}`);
    else stack.push(name);
  }
  assert.deepEqual(stack, [], "unclosed tags");
}

const count = (s: string, part: string) => s.split(part).length - 1;

const bands = [
  { group: "PGD", x: 0, mean: 0.9, lo: 0.88, hi: 0.92 },
  { group: "PGD", x: 2, mean: 0.5, lo: 0.45, hi: 0.55 },
  { group: "PGD", x: 8, mean: 0.1, lo: NaN, hi: NaN },
  { group: "FGSM", x: 0, mean: 0.9, lo: 0.89, hi: 0.91 },
  { group: "FGSM", x: 2, mean: 0.6, lo: 0.55, hi: 0.65 },
];

Deno.test("line plot with bands renders lines, areas and axis titles", async () => {
  const svg = await renderSvg(lineWithBands(bands, { title: "Accuracy vs ε", x: "ε (/255)", y: "accuracy" }));
  assert.ok(svg.startsWith("<svg"), svg.slice(0, 40));
  assertBalancedTags(svg);
  for (
    const part of ["mark-line", "mark-area", ">ε (/255)</text>", ">accuracy</text>", ">Accuracy vs ε</text>"]
  ) {
    assert.ok(svg.includes(part), `missing ${part}`);
  }
  assert.ok(svg.includes(">FGSM</text>") && svg.includes(">PGD</text>"), "legend entries");
  const single = await renderSvg(lineWithBands(bands.slice(0, 3), { title: "one", x: "ε", y: "acc" }));
  assert.ok(svg.includes("role-legend") && !single.includes("role-legend"), "legend only for several groups");
});

Deno.test("scatter with fit draws the fit line from the given slope across the x range", async () => {
  const points = [{ x: 0.2, y: 0.5 }, { x: 0.4, y: 0.45 }, { x: 0.8, y: 0.3 }];
  const spec = scatterWithFit(points, { slope: -0.5, intercept: 0.6 }, { title: "t", x: "μ_SI", y: "acc" });
  const fitLayer = (spec as { layer: { data: { values: { x: number; y: number }[] } }[] }).layer[1];
  assert.deepEqual(fitLayer.data.values, [{ x: 0.2, y: 0.6 - 0.1 }, { x: 0.8, y: 0.6 - 0.4 }]);
  const svg = await renderSvg(spec);
  assertBalancedTags(svg);
  assert.equal(count(svg, 'aria-roledescription="point"'), 3, "one symbol per point");
  assert.ok(svg.includes("mark-line") && svg.includes(">μ_SI</text>"));
  const grouped = await renderSvg(scatterWithFit(
    [{ x: 1, y: 1, group: "-1" }, { x: 2, y: 2, group: "-0.3" }, { x: 3, y: 2, group: "0" }],
    null,
    { title: "t", x: "x", y: "y" },
  ));
  const legend = grouped.slice(grouped.indexOf("role-legend"));
  const at = (label: string) => legend.indexOf(`>${label}</text>`);
  assert.ok(at("-1") >= 0 && at("-1") < at("-0.3") && at("-0.3") < at("0"), "legend keeps the given order");
  const bare = await renderSvg(scatterWithFit(points, null, { title: "t", x: "μ_SI", y: "acc" }));
  assert.ok(!bare.includes("mark-line"), "no fit line without a fit");
});

Deno.test("per-layer bars and heatmap render, with text escaped", async () => {
  const values = [
    { layer: "block1", group: "α=-1", value: 0.2 },
    { layer: "block1", group: "α=0", value: 0.3 },
    { layer: "block2", group: "α=-1", value: 0.25 },
    { layer: "block2", group: "α=0", value: NaN },
  ];
  const bars = await renderSvg(layerBars(values, { title: "SI <per> layer & α", x: "layer", y: "SI" }));
  assertBalancedTags(bars);
  assert.ok(bars.includes("mark-rect") && bars.includes(">SI &lt;per&gt; layer &amp; α</text>"));
  assert.equal(count(bars, 'aria-roledescription="bar"'), 3, "one bar per finite value (NaN left out)");
  const heat = await renderSvg(layerHeatmap(values, { title: "heat", x: "layer", y: "α", group: "SI" }));
  assertBalancedTags(heat);
  assert.ok(heat.includes("mark-rect") && heat.includes("mark-text") && heat.includes(">block2</text>"));
});

Deno.test("rendering is deterministic and ids are namespaced per spec", async () => {
  const spec = layerHeatmap(
    [{ layer: "a", group: "0", value: 1 }, { layer: "b", group: "0", value: 2 }],
    { title: "h", x: "layer", y: "α" },
  );
  const first = await renderSvg(spec);
  await renderSvg(lineWithBands(bands, { title: "other", x: "x", y: "y" }));
  const second = await renderSvg(spec);
  assert.equal(first, second);
  // The colour legend uses a gradient: its id carries the spec digest, and the reference points at it.
  const ids = [...first.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
  assert.ok(ids.length > 0 && ids.every((id) => /^v[0-9a-f]{8}-/.test(id)), ids.join());
  for (const ref of first.matchAll(/url\(#([^)]+)\)/g)) assert.ok(ids.includes(ref[1]), `dangling ${ref[1]}`);
  const other = await renderSvg(
    layerHeatmap([{ layer: "a", group: "0", value: 5 }], { title: "h2", x: "l", y: "α" }),
  );
  const otherIds = [...other.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
  assert.ok(otherIds.every((id) => !ids.includes(id)), "two figures share an id");
});
