/**
 * layerRepresentations against one unbatched pass computed here: every batch size (dividing n or not, one
 * batch or several) gives the same features and predictions, and only the returned features stay allocated.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import assert from "node:assert/strict";
import { buildModel } from "../../../lib/models/registry.ts";
import { withSelectivityOutputs } from "../../../lib/models/multi_output.ts";
import { featureSpec, layerFeatures } from "../../../lib/dimensionality/features.ts";
import { layerRepresentations } from "../../../lib/dimensionality/representations.ts";
import { Rng } from "../../../lib/random.ts";

await tf.setBackend("cpu");

Deno.test("layer representations: batched = one pass, for batch sizes 3, 7 and 10 of 7 images", async () => {
  const { model, selectivityLayers } = buildModel("cnn", { inputShape: [6, 5, 1], numClasses: 3, seed: 2 });
  const tap = withSelectivityOutputs(model, selectivityLayers);
  const n = 7;
  const rng = new Rng(4);
  const x = tf.tensor4d(Float32Array.from({ length: n * 30 }, () => rng.uniform()), [n, 6, 5, 1]);
  const specs = tap.outputs.slice(1).map((o, l) =>
    featureSpec(selectivityLayers[l], o.shape.slice(1) as number[], "flatten", l === 0 ? 20 : null, 1)
  );
  // Reference: the whole set at once.
  const [logits, ...acts] = tap.apply(x, { training: false }) as tf.Tensor[];
  const expected = await Promise.all(acts.map((a, l) => layerFeatures(a, specs[l]).array()));
  const expectedClasses = Array.from(await tf.argMax(logits, 1).data());
  for (const batchSize of [3, 7, 10]) {
    const before = tf.memory().numTensors;
    const r = await layerRepresentations(tap, x, specs, batchSize);
    assert.equal(
      tf.memory().numTensors,
      before + specs.length,
      `batch ${batchSize}: only the features remain`,
    );
    assert.deepEqual(Array.from(r.predictions), expectedClasses, `batch ${batchSize}: predictions`);
    for (const [l, f] of r.features.entries()) {
      assert.deepEqual(f.shape, [n, specs[l].subset?.length ?? specs[l].features]);
      const got = await f.array();
      got.forEach((row, i) =>
        row.forEach((v, k) =>
          assert.ok(Math.abs(v - expected[l][i][k]) < 1e-5, `batch ${batchSize} layer ${l} [${i}, ${k}]`)
        )
      );
    }
    tf.dispose(r.features);
  }
});
