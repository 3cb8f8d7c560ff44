import * as tf from "@tensorflow/tfjs-core";
import assert from "node:assert/strict";
import { initBackend } from "../../../lib/backends/select.ts";
import { CORRUPTIONS } from "../../../lib/corruptions/registry.ts";
import { buildModel } from "../../../lib/models/registry.ts";
import { Rng } from "../../../lib/random.ts";
import type { Batch } from "../../../lib/data/batches.ts";
import { applyMethod, AUGMIX_OPS, augmixImage } from "../../../lib/train/methods.ts";

await initBackend("cpu");

function batchOf(n: number, h: number, w: number, c: number, value?: number): Batch {
  const rng = new Rng(5);
  const x = Float32Array.from({ length: n * h * w * c }, () => value ?? rng.uniform());
  return { x, labels: Int32Array.from({ length: n }, (_, i) => i % 3), shape: [n, h, w, c] };
}

Deno.test("noise: mid-grey pixels get N(0, σ²) noise (moments), clipped; seeded per batch position", async () => {
  const b = batchOf(20, 8, 8, 1, 0.5);
  const out = await applyMethod(b, { kind: "noise", sigma: 0.1 }, { seed: 1, epoch: 0, batch: 0 });
  const d = Array.from(out.x, (v) => v - 0.5);
  const mean = d.reduce((s, v) => s + v, 0) / d.length;
  const sd = Math.sqrt(d.reduce((s, v) => s + (v - mean) ** 2, 0) / (d.length - 1));
  // 1280 draws: the mean's standard error is 0.1/√1280 ≈ 0.003, the SD's ≈ 0.002.
  assert.ok(Math.abs(mean) < 0.012 && Math.abs(sd - 0.1) < 0.01, `mean ${mean}, sd ${sd}`);
  assert.equal(b.x[0], 0.5, "the input batch is not changed");
  const again = await applyMethod(b, { kind: "noise", sigma: 0.1 }, { seed: 1, epoch: 0, batch: 0 });
  assert.deepEqual(again.x, out.x);
  const next = await applyMethod(b, { kind: "noise", sigma: 0.1 }, { seed: 1, epoch: 0, batch: 1 });
  assert.notDeepEqual(next.x, out.x);
  const edge = await applyMethod(batchOf(2, 4, 4, 1, 1), { kind: "noise", sigma: 0.5 }, {
    seed: 0,
    epoch: 0,
    batch: 0,
  });
  assert.ok(edge.x.every((v) => v >= 0 && v <= 1));
});

Deno.test("augmix: operations are not evaluation corruptions; output in [0, 1], changed, deterministic", async () => {
  const corruptions = new Set<string>(CORRUPTIONS);
  for (const op of Object.keys(AUGMIX_OPS)) {
    assert.ok(!corruptions.has(op), `${op} is an evaluation corruption`);
  }
  const b = batchOf(4, 12, 12, 3);
  const p = { kind: "augmix" as const, width: 3, depth: 3, severity: 3 };
  const out = await applyMethod(b, p, { seed: 2, epoch: 1, batch: 0 });
  assert.ok(out.x.every((v) => v >= 0 && v <= 1));
  assert.notDeepEqual(out.x, b.x);
  assert.deepEqual((await applyMethod(b, p, { seed: 2, epoch: 1, batch: 0 })).x, out.x);
  // Solarize at level 1 inverts every pixel ≥ 0: computed by hand.
  const sol = AUGMIX_OPS.solarize(Float32Array.of(0.2, 0.9), 1, 2, 1, 1, new Rng(0));
  assert.ok(Math.abs(sol[0] - 0.8) < 1e-6 && Math.abs(sol[1] - 0.1) < 1e-6, `${sol}`);
  // A mix of identical images (width 1, a constant image, autocontrast-free draws aside) stays in range.
  assert.equal(
    augmixImage(Float32Array.of(0.3, 0.3, 0.3, 0.3), 2, 2, 1, { width: 2, depth: 1, severity: 1 }, new Rng(3))
      .length,
    4,
  );
});

Deno.test("pgd adversarial training: examples within ε of the batch, and they raise the loss", async () => {
  const { model } = buildModel("cnn", { inputShape: [8, 8, 1], numClasses: 3, seed: 2 });
  const b = batchOf(12, 8, 8, 1);
  const method = { kind: "pgd" as const, epsLinf255: 8, steps: 3, stepFactor: 2.5 };
  const out = await applyMethod(b, method, { seed: 0, epoch: 0, batch: 0 }, model);
  const maxDelta = Math.max(...Array.from(out.x, (v, i) => Math.abs(v - b.x[i])));
  assert.ok(maxDelta <= 8 / 255 + 1e-6 && maxDelta > 4 / 255, `max |δ| ${maxDelta}`);
  const loss = (x: Float32Array) =>
    tf.tidy(() => {
      const logits = model.predict(tf.tensor4d(x, b.shape)) as tf.Tensor2D;
      return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(b.labels, "int32"), 3), logits)
        .dataSync()[0];
    });
  assert.ok(loss(out.x) > loss(b.x), "adversarial examples have a higher loss");
  await assert.rejects(() => applyMethod(b, method, { seed: 0, epoch: 0, batch: 0 }), /needs the model/);
});
