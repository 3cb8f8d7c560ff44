/** Input guards and tensor hygiene of the selectivity library (each found by a surviving mutant). */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import assert from "node:assert/strict";
import { ClassMeanAccumulator } from "../../../lib/selectivity/accumulate.ts";
import { minibatchGroupSelectivity } from "../../../lib/selectivity/minibatch.ts";
import { classSelectivityIndex, summarizeSelectivity } from "../../../lib/selectivity/si.ts";

await tf.setBackend("cpu");

Deno.test("ClassMeanAccumulator: the class count must be a whole number ≥ 1", () => {
  assert.throws(() => new ClassMeanAccumulator(["a"], 0), /numClasses must be ≥ 1, got 0/);
  assert.throws(() => new ClassMeanAccumulator(["a"], 2.5), /got 2\.5/);
  assert.throws(() => new ClassMeanAccumulator(["a"], -3), /got -3/);
  assert.equal(new ClassMeanAccumulator(["a"], 1).numClasses, 1);
});

Deno.test("ClassMeanAccumulator.add keeps no tensor and names a layer whose unit count changes", async () => {
  const acc = new ClassMeanAccumulator(["conv"], 2);
  const a = tf.ones([3, 2, 2, 4]), b = tf.ones([2, 6]);
  const before = tf.memory().numTensors;
  await acc.add([0, 1, 1], [a]);
  assert.equal(tf.memory().numTensors, before, "add leaves the tensor count as it was");
  await assert.rejects(acc.add([0, 1], [b]), /layer 'conv' changed from 4 to 6 units/);
  tf.dispose([a, b]);
});

Deno.test("minibatch selectivity: an empty or out-of-range group is refused", () => {
  const acts = [tf.ones([2, 3]), tf.ones([2, 3])];
  const labels = tf.tensor1d([0, 1], "int32");
  for (const groups of [[[]], [[0, 2]], [[-1]]]) {
    assert.throws(
      () => minibatchGroupSelectivity(acts, labels, { numClasses: 2, groups }),
      /must list indices into the 2 activations/,
      JSON.stringify(groups),
    );
  }
  tf.dispose([...acts, labels]);
});

Deno.test("stage grouping: stages must cover the layers exactly once (a repeated layer is refused)", () => {
  const classMeans = { a: [[1, 0], [0, 1]], b: [[1, 1], [0, 2]] };
  const counts = [1, 1];
  const ok = summarizeSelectivity(classMeans, counts, { grouping: "stage", stages: [["a", "b"]] });
  assert.equal(ok.groups.length, 1);
  for (const stages of [[["a", "b", "a"]], [["a"], ["a"]], [["a"]]]) {
    assert.throws(
      () => summarizeSelectivity(classMeans, counts, { grouping: "stage", stages }),
      /covering the layers \[a,b\] exactly once/,
      JSON.stringify(stages),
    );
  }
});

Deno.test("fewer than two classes: every unit scores 0 (no classes: no units)", () => {
  assert.equal(classSelectivityIndex([]).length, 0);
  assert.deepEqual(Array.from(classSelectivityIndex([[1, 2, 3]])), [0, 0, 0]);
});
