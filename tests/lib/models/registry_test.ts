import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import assert from "node:assert/strict";
import { buildModel, MODEL_NAMES, selectivityLayersOf } from "../../../lib/models/registry.ts";

await tf.setBackend("cpu");

function trainableCount(model: tfl.LayersModel): number {
  return model.trainableWeights.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * b!, 1), 0);
}

Deno.test("resnet20 has the 269,722 trainable parameters of He et al.'s CIFAR ResNet20 (option A)", () => {
  const { model, selectivityLayers, selectivityStages } = buildModel("resnet20", {
    inputShape: [32, 32, 3],
    numClasses: 10,
    seed: 0,
  });
  // convs: 432 + 6·2304 + (4608 + 5·9216) + (18432 + 5·36864); BN γ,β: 2·(16·7 + 32·6 + 64·6); dense 650.
  assert.deepEqual(trainableCount(model), 269_722);
  assert.deepEqual(selectivityStages.map((s) => s.length), [3, 3, 3]);
  assert.deepEqual(selectivityLayers[0], "s1b1_out");
  assert.deepEqual(model.outputs[0].shape, [null, 10]);
});

Deno.test("resnet18 matches torchvision's parameter count with a 200-way head", () => {
  const { model, selectivityStages } = buildModel("resnet18", {
    inputShape: [64, 64, 3],
    numClasses: 200,
    seed: 0,
  });
  // torchvision resnet18: 11,689,512 with 1000 classes; minus 800 · (512 + 1) for a 200-way FC.
  assert.deepEqual(trainableCount(model), 11_689_512 - 800 * 513);
  assert.deepEqual(selectivityStages.map((s) => s.length), [2, 2, 2, 2]);
  assert.deepEqual(model.getLayer("s4b2_out").outputShape, [null, 2, 2, 512]);
  const cifarStem = buildModel("resnet18", {
    inputShape: [64, 64, 3],
    numClasses: 200,
    seed: 0,
    stem: "cifar",
  });
  assert.deepEqual(cifarStem.model.getLayer("s1b1_out").outputShape, [null, 64, 64, 64]);
});

Deno.test("resnet50 (bottleneck blocks) matches torchvision's parameter count and shapes", () => {
  const { model, selectivityStages } = buildModel("resnet50", {
    inputShape: [64, 64, 3],
    numClasses: 1000,
    seed: 0,
  });
  // torchvision resnet50 (v1.5): 25,557,032 parameters with a 1000-way head.
  assert.deepEqual(trainableCount(model), 25_557_032);
  assert.deepEqual(selectivityStages.map((s) => s.length), [3, 4, 6, 3]);
  assert.deepEqual(model.getLayer("s1b1_out").outputShape, [null, 16, 16, 256]);
  assert.deepEqual(model.getLayer("s4b3_out").outputShape, [null, 2, 2, 2048]);
  // The stride is on the 3×3 conv (v1.5): the first 1×1 conv of a downsampling block keeps the size.
  assert.deepEqual(model.getLayer("s2b1_1_conv").outputShape, [null, 16, 16, 128]);
  assert.deepEqual(model.getLayer("s2b1_2_conv").outputShape, [null, 8, 8, 128]);
  const small = buildModel("resnet50", { inputShape: [32, 32, 3], numClasses: 10, seed: 1, stem: "cifar" });
  const logits = small.model.predict(tf.zeros([1, 32, 32, 3])) as tf.Tensor;
  assert.deepEqual(logits.shape, [1, 10]);
  assert.ok(Array.from(logits.dataSync()).every(Number.isFinite));
  tf.dispose(logits);
});

Deno.test("every model's selectivity layers are ReLU outputs, non-negative, with one unit per channel", () => {
  for (
    const [name, shape] of [["cnn", [28, 28, 1]], ["cnn", [32, 32, 3]], ["resnet20", [32, 32, 3]]] as const
  ) {
    const { model, selectivityLayers } = buildModel(name, {
      inputShape: [...shape],
      numClasses: 10,
      seed: 5,
    });
    for (const layerName of selectivityLayers) {
      const layer = model.getLayer(layerName);
      assert.deepEqual(layer.getConfig().activation, "relu", `${name}/${layerName}`);
    }
    const x = tf.randomUniform([2, ...shape], 0, 1, "float32", 1);
    const probe = tfl.model({
      inputs: model.inputs,
      outputs: selectivityLayers.map((n) => model.getLayer(n).output as never),
    });
    const acts = probe.predict(x) as tf.Tensor[];
    for (const a of acts) assert(tf.min(a).dataSync()[0] >= 0);
    assert.deepEqual(acts.length, name === "cnn" ? 3 : 9);
    assert.deepEqual((model.predict(x) as tf.Tensor).shape, [2, 10]);
  }
});

Deno.test("the same seed gives identical weights and layer names; another seed differs", () => {
  const opts = { inputShape: [28, 28, 1], numClasses: 10 };
  const a = buildModel("cnn", { ...opts, seed: 7 }).model;
  const b = buildModel("cnn", { ...opts, seed: 7 }).model;
  const c = buildModel("cnn", { ...opts, seed: 8 }).model;
  assert.deepEqual(a.layers.map((l) => l.name), b.layers.map((l) => l.name));
  const kernels = (m: typeof a) =>
    m.weights.filter((w) => w.name.includes("kernel")).map((w) => w.read().dataSync());
  const [ka, kb, kc] = [kernels(a), kernels(b), kernels(c)];
  assert.deepEqual(ka.length, 4);
  ka.forEach((k, i) => {
    assert.deepEqual(k, kb[i]);
    assert(k.some((v, j) => v !== kc[i][j]), `kernel ${i} should change with the seed`);
  });
  // Different layers get different seeds: two same-shaped kernels of one model differ.
  const r = buildModel("resnet20", { inputShape: [32, 32, 3], numClasses: 10, seed: 7 }).model;
  const k1 = r.getLayer("s1b1_1_conv").getWeights()[0].dataSync();
  const k2 = r.getLayer("s1b1_2_conv").getWeights()[0].dataSync();
  assert.equal(k1.length, k2.length);
  assert(k1.some((v, j) => v !== k2[j]));
});

Deno.test("input normalisation computes (x − mean) / std per channel", () => {
  const { model } = buildModel("cnn", {
    inputShape: [8, 8, 2],
    numClasses: 3,
    seed: 1,
    normalization: { mean: [0.5, 0.25], std: [0.5, 2] },
  });
  const norm = tfl.model({ inputs: model.inputs, outputs: model.getLayer("input_norm").output as never });
  const x = tf.tile(tf.tensor4d([0.1, 0.9], [1, 1, 1, 2]), [1, 8, 8, 1]);
  const y = (norm.predict(x) as tf.Tensor).dataSync();
  assert(Math.abs(y[0] - (0.1 - 0.5) / 0.5) < 1e-6);
  assert(Math.abs(y[1] - (0.9 - 0.25) / 2) < 1e-6);
});

Deno.test("selectivity metadata is stored on the model", () => {
  const built = buildModel("resnet20", { inputShape: [32, 32, 3], numClasses: 10, seed: 0 });
  assert.deepEqual(selectivityLayersOf(built.model), {
    selectivityLayers: built.selectivityLayers,
    selectivityStages: built.selectivityStages,
  });
});

Deno.test("bad options fail with a message naming the problem", () => {
  const ok = { inputShape: [28, 28, 1], numClasses: 10, seed: 0 };
  const fails = (f: () => unknown, text: string) =>
    assert.throws(f, (e: Error) => e.message.includes(text), `expected an error mentioning '${text}'`);
  fails(() => buildModel("vgg16", ok), `choose one of ${MODEL_NAMES.join(", ")}`);
  fails(() => buildModel("cnn", { ...ok, inputShape: [28, 28] }), "inputShape");
  fails(() => buildModel("cnn", { ...ok, numClasses: 1 }), "numClasses");
  fails(() => buildModel("cnn", { ...ok, seed: 0.5 }), "seed");
  fails(() => buildModel("resnet20", { ...ok, inputShape: [30, 30, 3] }), "even spatial size");
  fails(
    () => buildModel("cnn", { ...ok, normalization: { mean: [0, 0], std: [1, 1] } }),
    "1 channels but mean/std have 2",
  );
});
