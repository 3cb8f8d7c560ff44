/**
 * Stage `measure-gradients` through its entry point on a tiny saved model: each declared param
 * (`grad.{n_samples,norm,seed,max_batch}`) moves the output the way it should, and `max_batch` does not move the
 * numbers.
 */
import assert from "node:assert/strict";
import { assertDiffer, runAll, runStageScript, stageFixture } from "./stage_fixture.ts";

const fx = await stageFixture([12, 12, 1], 40);
const base = { grad: { n_samples: 12, norm: "l2", seed: 0, max_batch: 512 } };
const run = (p: Record<string, unknown>) => () =>
  runStageScript(fx, "measure_gradients.ts", { grad: { ...base.grad, ...p } }, [], "wasm");

Deno.test("measure-gradients: every declared param reaches the measurement", async () => {
  const [a, more, l1, seed, small] = (await runAll([
    run({}),
    run({ n_samples: 20 }),
    run({ norm: "l1" }),
    run({ seed: 5 }),
    run({ max_batch: 7 }),
  ])).map((r) => r.json);
  const norms = (j: typeof a) => j.layers.map((l: { per_unit_mean_norm: number[] }) => l.per_unit_mean_norm);

  assert.equal(a.n_samples, 12);
  assert.ok(a.layers.length >= 2);
  assert.equal(more.n_samples, 20);
  assertDiffer(norms(a), norms(more), "grad.n_samples");
  // ‖g‖₁ ≥ ‖g‖₂ for every gradient, so every unit's mean norm rises (strictly where it is non-zero).
  norms(a).forEach((layer: number[], li: number) =>
    layer.forEach((v, u) => {
      const w = norms(l1)[li][u];
      assert.ok(v === 0 ? w === 0 : w > v, `layer ${li} unit ${u}: l2 ${v}, l1 ${w}`);
    })
  );
  assertDiffer(norms(a), norms(seed), "grad.seed");
  norms(a).forEach((layer: number[], li: number) =>
    layer.forEach((v, u) =>
      assert.ok(
        Math.abs(v - norms(small)[li][u]) <= 1e-5 * Math.max(1, v),
        `max_batch: layer ${li} unit ${u}`,
      )
    )
  );
  assert.equal(small.network.cv_across_samples.toFixed(5), a.network.cv_across_samples.toFixed(5));
  // The network value is the plain mean over layers (each layer weighs the same).
  const layerMean = (key: "across_samples" | "across_units") =>
    a.layers.reduce((s: number, l: Record<string, { cv: number }>) => s + l[key].cv, 0) / a.layers.length;
  assert.ok(Math.abs(a.network.cv_across_samples - layerMean("across_samples")) < 1e-12);
  assert.ok(Math.abs(a.network.cv_across_units - layerMean("across_units")) < 1e-12);
});
