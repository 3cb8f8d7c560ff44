import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import assert from "node:assert/strict";
import { seeded } from "../backends/reference.ts";
import { initBackend } from "../../../lib/backends/select.ts";
import { LazyGradConv2D } from "../../../lib/models/lazy_grad_conv2d.ts";
import { buildModel } from "../../../lib/models/registry.ts";
import { directoryHandler, saveModel } from "../../../lib/models/io.ts";

await initBackend("wasm", { threads: 1 });

// Strides 1 and 2, same and valid padding, 1×1 and 3×3, the channel counts of the project's models.
interface Case {
  x: [number, number, number, number];
  filters: number;
  kernelSize: number;
  strides: number;
  padding: "same" | "valid";
}

const CASES: Case[] = [
  { x: [4, 12, 12, 1], filters: 16, kernelSize: 3, strides: 1, padding: "same" },
  { x: [4, 12, 12, 16], filters: 32, kernelSize: 3, strides: 2, padding: "same" },
  { x: [4, 9, 9, 8], filters: 8, kernelSize: 1, strides: 2, padding: "valid" },
  { x: [4, 10, 10, 3], filters: 5, kernelSize: 3, strides: 1, padding: "valid" },
];

/** The layer's output, ∇ₓ and ∇W of Σ y·dy, for a seeded input, kernel and dy. */
function valuesAndGrads(layer: tfl.layers.Layer, c: Case, seed: number) {
  return tf.tidy(() => {
    const x = tf.tensor4d(
      seeded(tf.util.sizeFromShape(c.x), seed),
      c.x,
    );
    layer.apply(x); // builds the layer
    const [kernel] = layer.getWeights();
    layer.setWeights([tf.tensor(seeded(kernel.size, seed + 1), kernel.shape)]);
    const y = layer.apply(x) as tf.Tensor;
    const dy = tf.tensor(seeded(y.size, seed + 2), y.shape);
    const loss = (input: tf.Tensor) => tf.sum(tf.mul(layer.apply(input) as tf.Tensor, dy)) as tf.Scalar;
    const dx = tf.grad(loss)(x);
    const { grads } = tf.variableGrads(
      () => loss(x),
      layer.trainableWeights.map((w) => w.read() as tf.Variable),
    );
    return [y, dx, ...Object.values(grads)].map((t) => t.dataSync() as Float32Array);
  });
}

Deno.test("LazyGradConv2D gives the stock Conv2D's outputs and gradients bit for bit (wasm)", () => {
  for (const [i, c] of CASES.entries()) {
    const args = {
      filters: c.filters,
      kernelSize: c.kernelSize,
      strides: c.strides,
      padding: c.padding,
      useBias: false,
    };
    const stock = valuesAndGrads(tfl.layers.conv2d(args), c, 100 + i);
    const ours = valuesAndGrads(new LazyGradConv2D(args), c, 100 + i);
    assert.equal(ours.length, stock.length);
    for (const [j, s] of stock.entries()) {
      const differing = s.filter((v, k) => !Object.is(v, ours[j][k])).length;
      assert.equal(differing, 0, `case ${i}, ${["y", "dx", "dW"][j]}: ${differing} values differ`);
    }
  }
});

/** Names of the kernels ∇ₓ of the layer's summed output runs. */
async function inputGradKernels(layer: tfl.layers.Layer): Promise<string[]> {
  const x = tf.randomUniform([2, 8, 8, 4]) as tf.Tensor4D;
  layer.apply(x);
  const info = await tf.profile(() =>
    tf.grad((input: tf.Tensor) => tf.sum(layer.apply(input) as tf.Tensor))(x)
  );
  x.dispose();
  return info.kernels.map((k) => k.name);
}

Deno.test("an input gradient through LazyGradConv2D runs no filter gradient (the stock layer's does)", async () => {
  const args = { filters: 6, kernelSize: 3, padding: "same", useBias: false } as const;
  assert.ok((await inputGradKernels(tfl.layers.conv2d(args))).includes("Conv2DBackpropFilter"), "stock");
  const ours = await inputGradKernels(new LazyGradConv2D(args));
  assert.ok(ours.includes("Conv2DBackpropInput"), "ours computes dx");
  assert.ok(!ours.includes("Conv2DBackpropFilter"), `ours computes no dW: ${ours.join(", ")}`);
});

Deno.test("models save their convolutions as the stock Conv2D and load them as LazyGradConv2D", async () => {
  const { model } = buildModel("cnn", { inputShape: [8, 8, 1], numClasses: 3, seed: 5 });
  const convs = model.layers.filter((l) => l.getClassName() === "Conv2D");
  assert.ok(convs.length > 0 && convs.every((l) => l instanceof LazyGradConv2D), "built as LazyGradConv2D");
  const dir = await Deno.makeTempDir();
  try {
    await saveModel(model, `${dir}/m`);
    const json = JSON.parse(await Deno.readTextFile(`${dir}/m/model.json`));
    const classes = json.modelTopology.config.layers.map((l: { class_name: string }) => l.class_name);
    assert.equal(classes.filter((c: string) => c === "Conv2D").length, convs.length, "saved as Conv2D");
    const loaded = await tfl.loadLayersModel(directoryHandler(`${dir}/m`));
    const loadedConvs = loaded.layers.filter((l) => l.getClassName() === "Conv2D");
    assert.ok(loadedConvs.every((l) => l instanceof LazyGradConv2D), "loaded as LazyGradConv2D");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
