/** evaluateSplit's accuracy and loss against a per-image computation here (logits of the inference model). */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../../lib/backends/select.ts";
import { makeSynthetic } from "../../../lib/data/synthetic.ts";
import { buildModel } from "../../../lib/models/registry.ts";
import { withSelectivityOutputs } from "../../../lib/models/multi_output.ts";
import { evaluateSplit } from "../../../lib/train/evaluate.ts";

await initBackend("cpu");

Deno.test("evaluateSplit: accuracy and mean cross-entropy over every image, batch size 4 of 10", async () => {
  const d = makeSynthetic({ n: 10, classes: 4, shape: [12, 12, 1], seed: 5 });
  const split = { images: d.images, labels: d.labels, n: 10, shape: d.shape };
  const built = buildModel("cnn", { inputShape: [12, 12, 1], numClasses: 4, seed: 2 });
  const tap = withSelectivityOutputs(built.model, built.selectivityLayers);
  const r = await evaluateSplit(tap, split, {
    numClasses: 4,
    selectivityLayers: built.selectivityLayers,
    batchSize: 4,
  });
  const x = tf.div(tf.tensor4d(Float32Array.from(d.images), [10, 12, 12, 1]), 255);
  const logits = await (built.model.predict(x) as tf.Tensor2D).array();
  let ce = 0, hits = 0;
  logits.forEach((z, i) => {
    const m = Math.max(...z);
    const lse = m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));
    ce += lse - z[d.labels[i]];
    if (z.indexOf(m) === d.labels[i]) hits++;
  });
  assert.ok(Math.abs(r.loss - ce / 10) < 1e-5, `loss ${r.loss} vs ${ce / 10}`);
  assert.equal(r.accuracy, hits / 10);
});
