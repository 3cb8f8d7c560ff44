import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import assert from "node:assert/strict";
import { buildModel, selectivityLayersOf } from "../../../lib/models/registry.ts";
import { directoryHandler, loadModel, MODEL_JSON, saveModel, WEIGHTS_BIN } from "../../../lib/models/io.ts";

await tf.setBackend("cpu");

/** A resnet20 (exercises the custom layers) whose BN moving statistics moved away from their initial values. */
function trainedResnet20(): tfl.LayersModel {
  const { model } = buildModel("resnet20", {
    inputShape: [8, 8, 3],
    numClasses: 4,
    seed: 11,
    normalization: { mean: [0.4, 0.5, 0.6], std: [0.2, 0.25, 0.3] },
  });
  tf.tidy(() => {
    model.apply(tf.randomUniform([4, 8, 8, 3], 0, 1, "float32", 1), { training: true });
  });
  return model;
}

Deno.test("save + load round trip gives identical weights, predictions and metadata", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const model = trainedResnet20();
    await saveModel(model, `${dir}/m`);
    assert.deepEqual((await Array.fromAsync(Deno.readDir(`${dir}/m`))).map((e) => e.name).sort(), [
      MODEL_JSON,
      WEIGHTS_BIN,
    ]);
    const loaded = await tfl.loadLayersModel(directoryHandler(`${dir}/m`));
    // Variable names get a process-wide unique suffix on load, so compare layer by layer.
    assert.deepEqual(loaded.layers.map((l) => l.name), model.layers.map((l) => l.name));
    assert.equal(loaded.weights.length, model.weights.length);
    for (const layer of model.layers) {
      const restored = loaded.getLayer(layer.name).getWeights();
      layer.getWeights().forEach((w, i) =>
        assert.deepEqual(restored[i].dataSync(), w.dataSync(), layer.name)
      );
    }
    const x = tf.randomUniform([3, 8, 8, 3], 0, 1, "float32", 2);
    assert.deepEqual((loaded.predict(x) as tf.Tensor).dataSync(), (model.predict(x) as tf.Tensor).dataSync());
    assert.deepEqual(selectivityLayersOf(loaded), selectivityLayersOf(model));
    const json = JSON.parse(await Deno.readTextFile(`${dir}/m/${MODEL_JSON}`));
    assert.deepEqual(json.weightsManifest[0].paths, [WEIGHTS_BIN]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("saving the same model twice writes identical bytes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const model = buildModel("cnn", { inputShape: [8, 8, 1], numClasses: 3, seed: 1 }).model;
    await saveModel(model, `${dir}/a`);
    await saveModel(model, `${dir}/b`);
    for (const f of [MODEL_JSON, WEIGHTS_BIN]) {
      assert.deepEqual(await Deno.readFile(`${dir}/a/${f}`), await Deno.readFile(`${dir}/b/${f}`), f);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("missing or corrupt files give errors naming the file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const m = `${dir}/m`;
    await assert.rejects(
      loadModel(m),
      (e: Error) => e.message.includes(`model file missing: ${m}/${MODEL_JSON}`),
    );
    await saveModel(buildModel("cnn", { inputShape: [8, 8, 1], numClasses: 3, seed: 1 }).model, m);
    const weights = await Deno.readFile(`${m}/${WEIGHTS_BIN}`);
    const json = await Deno.readTextFile(`${m}/${MODEL_JSON}`);

    await Deno.writeFile(`${m}/${WEIGHTS_BIN}`, weights.subarray(0, weights.length - 4));
    await assert.rejects(
      loadModel(m),
      (e: Error) => e.message.includes(`corrupt weights ${m}/${WEIGHTS_BIN}: ${weights.length - 4} bytes`),
    );
    await Deno.remove(`${m}/${WEIGHTS_BIN}`);
    await assert.rejects(
      loadModel(m),
      (e: Error) => e.message.includes(`model file missing: ${m}/${WEIGHTS_BIN}`),
    );
    await Deno.writeFile(`${m}/${WEIGHTS_BIN}`, weights);

    await Deno.writeTextFile(`${m}/${MODEL_JSON}`, json.slice(0, json.length / 2));
    await assert.rejects(
      loadModel(m),
      (e: Error) => e.message.includes(`corrupt model file ${m}/${MODEL_JSON}`),
    );
    await Deno.writeTextFile(`${m}/${MODEL_JSON}`, JSON.stringify({ format: "layers-model" }));
    await assert.rejects(loadModel(m), (e: Error) => e.message.includes("needs 'modelTopology'"));

    await Deno.writeTextFile(`${m}/${MODEL_JSON}`, json);
    assert.equal((await loadModel(m)).layers.length, 15);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
