import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import assert from "node:assert/strict";
import { buildModel } from "../../../lib/models/registry.ts";
import { withSelectivityOutputs } from "../../../lib/models/multi_output.ts";

await tf.setBackend("cpu");

const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];

Deno.test("the multi-output view returns the model's logits and the selectivity activations", () => {
  const { model, selectivityLayers } = buildModel("cnn", { inputShape: [8, 8, 1], numClasses: 3, seed: 2 });
  const tap = withSelectivityOutputs(model, selectivityLayers);
  const x = tf.randomUniform([4, 8, 8, 1], 0, 1, "float32", 4);
  const [logits, ...acts] = tap.predict(x) as tf.Tensor[];
  assert.equal(maxAbsDiff(logits, model.predict(x) as tf.Tensor), 0);
  assert.deepEqual(acts.map((a) => a.shape), [[4, 8, 8, 16], [4, 8, 8, 32], [4, 4, 4, 64]]);
});

Deno.test("training through the multi-output view updates the shared weights and BN statistics", () => {
  const { model, selectivityLayers } = buildModel("cnn", { inputShape: [8, 8, 1], numClasses: 3, seed: 2 });
  const tap = withSelectivityOutputs(model, selectivityLayers);
  const x = tf.randomUniform([4, 8, 8, 1], 0, 1, "float32", 5);
  const before = model.predict(x) as tf.Tensor;
  const movingMean = () => model.getLayer("block1_bn").getWeights()[2].dataSync().slice();
  const meanBefore = movingMean();
  const optimizer = tf.train.sgd(0.1);
  optimizer.minimize(() => {
    const [logits, ...acts] = tap.apply(x, { training: true }) as tf.Tensor[];
    return tf.add(tf.mean(tf.square(logits)), tf.mean(acts[2])) as tf.Scalar;
  });
  assert.notDeepEqual(movingMean(), meanBefore);
  assert(maxAbsDiff(model.predict(x) as tf.Tensor, before) > 0);
});

Deno.test("asking for a layer the model lacks names it", () => {
  const { model } = buildModel("cnn", { inputShape: [8, 8, 1], numClasses: 3, seed: 2 });
  assert.throws(() => withSelectivityOutputs(model, ["block9_relu"]), /no layer 'block9_relu'/);
});
