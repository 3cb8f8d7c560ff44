import * as tf from "@tensorflow/tfjs-core";
import assert from "node:assert/strict";
import { initBackend } from "../../../lib/backends/select.ts";
import { featureSpec, layerFeatures } from "../../../lib/dimensionality/features.ts";

await initBackend("cpu");

Deno.test("featureSpec: no cap, cap above size, seeded sorted subset below size; spatial_mean is C", () => {
  assert.deepEqual(featureSpec("l", [4, 4, 8], "flatten", null, 0), {
    representation: "flatten",
    features: 128,
    subset: null,
  });
  assert.equal(featureSpec("l", [4, 4, 8], "flatten", 128, 0).subset, null);
  const a = featureSpec("l", [4, 4, 8], "flatten", 50, 3).subset!;
  assert.equal(a.length, 50);
  assert.ok(a.every((v, i) => v >= 0 && v < 128 && (i === 0 || v > a[i - 1])));
  assert.deepEqual(featureSpec("l", [4, 4, 8], "flatten", 50, 3).subset, a);
  assert.notDeepEqual(featureSpec("m", [4, 4, 8], "flatten", 50, 3).subset, a);
  assert.deepEqual(featureSpec("l", [4, 4, 8], "spatial_mean", 2, 0), {
    representation: "spatial_mean",
    features: 8,
    subset: null,
  });
});

Deno.test("layerFeatures: flatten in NHWC order, subset picks those coordinates, spatial_mean averages H×W", async () => {
  const act = tf.tensor4d(Float32Array.from({ length: 2 * 2 * 2 * 3 }, (_, i) => i), [2, 2, 2, 3]);
  const flat = await layerFeatures(act, featureSpec("l", [2, 2, 3], "flatten", null, 0)).array();
  assert.deepEqual(flat[1], Array.from({ length: 12 }, (_, i) => 12 + i));
  const spec = featureSpec("l", [2, 2, 3], "flatten", 5, 1);
  const sub = await layerFeatures(act, spec).array();
  assert.deepEqual(sub[0], Array.from(spec.subset!));
  const mean = await layerFeatures(act, featureSpec("l", [2, 2, 3], "spatial_mean", null, 0)).array();
  // Sample 0, channel c: mean of c, 3 + c, 6 + c, 9 + c = 4.5 + c.
  assert.deepEqual(mean[0], [4.5, 5.5, 6.5]);
});
