import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import assert from "node:assert/strict";
import { buildModel } from "../../../lib/models/registry.ts";
import { withSelectivityOutputs } from "../../../lib/models/multi_output.ts";
import { ClassMeanAccumulator } from "../../../lib/selectivity/accumulate.ts";
import { summarizeSelectivity } from "../../../lib/selectivity/si.ts";
import { type Activation4D, referenceNetworkSI } from "./reference.ts";

await tf.setBackend("cpu");

Deno.test("batched accumulation over a tiny network matches a plain-loop computation over all samples", async () => {
  const numClasses = 4;
  const { model, selectivityLayers } = buildModel("cnn", { inputShape: [6, 6, 1], numClasses, seed: 3 });
  const tap = withSelectivityOutputs(model, selectivityLayers);
  const labels = [0, 1, 2, 0, 1, 0, 2, 2, 1, 0]; // class 3 never occurs
  const x = tf.randomUniform([labels.length, 6, 6, 1], 0, 1, "float32", 9);
  const [, ...acts] = tap.predict(x) as tf.Tensor[];

  const acc = new ClassMeanAccumulator(selectivityLayers, numClasses);
  for (const [start, end] of [[0, 4], [4, 10]]) {
    await acc.add(labels.slice(start, end), acts.map((a) => tf.slice(a, start, end - start)));
  }
  assert.deepEqual(Array.from(acc.counts()), [4, 3, 3, 0]);
  const summary = summarizeSelectivity(acc.classMeans(), acc.counts());

  const reference = referenceNetworkSI(
    acts.map((a) => a.arraySync() as Activation4D),
    labels,
    numClasses,
    1e-7,
  );
  summary.layers.forEach((layer, l) => {
    assert.equal(layer.si.length, reference.perGroup[l].length);
    layer.si.forEach((v, u) => assert(Math.abs(v - reference.perGroup[l][u]) < 1e-5, `${layer.name}[${u}]`));
  });
  assert(Math.abs(summary.networkMeanSI - reference.network) < 1e-6);
  assert(summary.networkMeanSI > 0 && summary.networkMeanSI < 1);
});

Deno.test("accumulator rejects bad labels and mismatched batches", async () => {
  const acc = new ClassMeanAccumulator(["a"], 3);
  const act = tf.ones([2, 4]);
  await assert.rejects(acc.add([0, 3], [act]), /label 3 at index 1 is outside \[0, 3\)/);
  await assert.rejects(acc.add([0, 1, 2], [act]), /layer 'a' has batch 2 but there are 3 labels/);
  await assert.rejects(acc.add([0, 1], []), /activations of 1 layers, got 0/);
  assert.throws(() => acc.classMeans(), /no batch was added/);
});

Deno.test("queued batches read at once give the same sums, bit for bit, as adding them one by one", async () => {
  const numClasses = 3;
  const { model, selectivityLayers } = buildModel("cnn", { inputShape: [6, 6, 1], numClasses, seed: 5 });
  const tap = withSelectivityOutputs(model, selectivityLayers);
  const labels = [0, 1, 2, 0, 1, 0, 2, 2, 1, 0, 2];
  const x = tf.randomUniform([labels.length, 6, 6, 1], 0, 1, "float32", 4);
  const [, ...acts] = tap.predict(x) as tf.Tensor[];
  const parts = [[0, 3], [3, 7], [7, 11]];
  const oneByOne = new ClassMeanAccumulator(selectivityLayers, numClasses);
  for (const [s, e] of parts) await oneByOne.add(labels.slice(s, e), acts.map((a) => tf.slice(a, s, e - s)));
  const queued = new ClassMeanAccumulator(selectivityLayers, numClasses);
  const before = tf.memory().numTensors;
  const batches = parts.map(([s, e]) =>
    queued.queue(labels.slice(s, e), acts.map((a) => tf.slice(a, s, e - s)))
  );
  await queued.addQueued(batches);
  assert.ok(tf.memory().numTensors <= before + acts.length * parts.length, "the queued sums are disposed");
  assert.deepEqual(queued.counts(), oneByOne.counts());
  assert.deepEqual(queued.classMeans(), oneByOne.classMeans());
});
