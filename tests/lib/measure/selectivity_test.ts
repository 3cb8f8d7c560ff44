import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import assert from "node:assert/strict";
import { initBackend } from "../../../lib/backends/select.ts";
import type { PreparedSplit } from "../../../lib/data/prepared.ts";
import { measureSelectivity } from "../../../lib/measure/selectivity.ts";
import { buildModel } from "../../../lib/models/registry.ts";
import { Rng } from "../../../lib/random.ts";
import { type Activation4D, referenceUnitSI, spatialMeans } from "../selectivity/reference.ts";

await initBackend("cpu");

Deno.test("per-unit SI, layer means, dead units and μ_SI match plain loops over the tiny network's activations", async () => {
  const numClasses = 3;
  const { model, selectivityStages } = buildModel("cnn", { inputShape: [8, 8, 1], numClasses, seed: 5 });
  const rng = new Rng(1);
  const n = 23;
  const split: PreparedSplit = {
    images: Uint8Array.from({ length: n * 64 }, () => rng.int(256)),
    labels: Uint8Array.from({ length: n }, (_, i) => i % numClasses),
    n,
    shape: [8, 8, 1],
  };
  const indices = Array.from({ length: 20 }, (_, i) => i + 2); // a subset, in order
  const report = await measureSelectivity(model, split, {
    numClasses,
    stages: selectivityStages,
    indices,
    batchSize: 6, // several batches, the last one partial
    epsilon: 1e-7,
    bins: 10,
  });

  // Independent path: all images at once through per-layer sub-models, then plain loops (tests/lib/selectivity).
  const x = tf.tensor4d(
    Float32Array.from(
      indices.flatMap((i) => Array.from(split.images.subarray(i * 64, (i + 1) * 64), (v) => v / 255)),
    ),
    [indices.length, 8, 8, 1],
  );
  const labels = indices.map((i) => split.labels[i]);
  const layers = selectivityStages.flat();
  let network = 0;
  for (const [l, name] of layers.entries()) {
    const sub = tfl.model({
      inputs: model.inputs,
      outputs: model.getLayer(name).output as tfl.SymbolicTensor,
    });
    const act = (sub.predict(x) as tf.Tensor).arraySync() as Activation4D;
    const units = spatialMeans(act);
    const si = referenceUnitSI(units, labels, numClasses, 1e-7);
    const got = report.layers[l];
    assert.equal(got.name, name);
    assert.equal(got.si.length, si.length);
    got.si.forEach((v, u) => assert.ok(Math.abs(v - si[u]) < 1e-5, `${name} unit ${u}: ${v} vs ${si[u]}`));
    const mean = si.reduce((a, b) => a + b, 0) / si.length;
    assert.ok(Math.abs(got.mean_si - mean) < 1e-5);
    const dead = units[0].map((_, u) => units.every((row) => row[u] === 0)).filter(Boolean).length;
    assert.equal(got.dead_units, dead);
    assert.equal(got.dead_share, dead / si.length);
    assert.equal(got.histogram.counts.reduce((a, b) => a + b, 0), si.length);
    network += mean / layers.length;
  }
  assert.ok(Math.abs(report.network_mean_si - network) < 1e-5);
  assert.equal(report.n_images, 20);
  assert.deepEqual(report.class_counts, [7, 6, 7]); // rows 2..21, label = row % 3

  const logits = model.predict(x) as tf.Tensor;
  const pred = await tf.argMax(logits, 1).data();
  assert.equal(report.accuracy, labels.filter((c, i) => pred[i] === c).length / labels.length);
});
