/**
 * Stage `measure-selectivity` through its entry point on a tiny saved model: each declared param
 * (`si.epsilon`, `si.layer_grouping`, `selectivity.{limit,seed,batch_size,histogram_bins}`) moves the output
 * the way it should, and a batch size does not move the numbers.
 */
import assert from "node:assert/strict";
import { assertDiffer, runAll, runStageScript, stageFixture } from "./stage_fixture.ts";

const fx = await stageFixture([12, 12, 1], 48);
const base = { si: {}, selectivity: { limit: 32, seed: 0, batch_size: 16, histogram_bins: 10 } };
const withSel = (p: Record<string, unknown>) => ({ ...base, selectivity: { ...base.selectivity, ...p } });
const run = (params: Record<string, unknown>) => () => runStageScript(fx, "measure_selectivity.ts", params);

Deno.test("measure-selectivity: every declared param reaches the measurement", async () => {
  const [a, eps, stage, all, seed, bins, batch] = (await runAll([
    run(base),
    run({ ...base, si: { epsilon: 0.5 } }),
    run({ ...base, si: { layer_grouping: "stage" } }),
    run(withSel({ limit: null })),
    run(withSel({ seed: 7 })),
    run(withSel({ histogram_bins: 4 })),
    run(withSel({ batch_size: 5 })),
  ])).map((r) => r.json);
  const si = (j: typeof a) => j.layers.map((l: { si: number[] }) => l.si);

  assert.equal(a.n_images, 32);
  assert.equal(a.class_counts.reduce((s: number, c: number) => s + c, 0), 32);
  assert.ok(
    a.layers.length >= 2 &&
      a.layers.every((l: { histogram: { counts: unknown[] } }) => l.histogram.counts.length === 10),
  );

  // epsilon enters SI = (μmax − μ−max)/(μmax + μ−max + ε): a large ε shrinks every non-zero SI.
  a.layers.forEach((l: { si: number[] }, li: number) =>
    l.si.forEach((v, u) => {
      const w = eps.layers[li].si[u];
      assert.ok(v === 0 ? w === 0 : w < v, `layer ${li} unit ${u}: SI ${v} with ε 1e-7, ${w} with ε 0.5`);
    })
  );
  assert.equal(a.grouping, "block");
  assert.equal(stage.grouping, "stage");
  // On the cnn every block is its own stage, so the groups coincide; the summary says which grouping it used.
  assert.equal(all.n_images, 48, "limit null: the whole test split");
  assertDiffer(si(a), si(all), "selectivity.limit");
  assert.equal(seed.n_images, 32);
  assertDiffer(si(a), si(seed), "selectivity.seed");
  assert.ok(
    bins.layers.every((l: { histogram: { counts: unknown[] } }) => l.histogram.counts.length === 4),
    "histogram_bins",
  );
  // The batch size changes how the class means are summed, not what they are.
  si(a).forEach((layer: number[], li: number) =>
    layer.forEach((v, u) =>
      assert.ok(Math.abs(v - si(batch)[li][u]) < 1e-5, `batch_size: layer ${li} unit ${u}`)
    )
  );
  assert.equal(batch.accuracy, a.accuracy);
});
