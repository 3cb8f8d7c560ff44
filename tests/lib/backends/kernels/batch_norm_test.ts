import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { assert, assertEqualJson, assertLess } from "../assert.ts";
import { relErr, seeded } from "../reference.ts";
import { registerFastBatchNormGrad } from "../../../../lib/backends/kernels/batch_norm_grad.ts";
import { FastBatchNormalization } from "../../../../lib/models/fast_batch_norm.ts";

await tf.setBackend("cpu");
const SHAPE: [number, number, number, number] = [3, 5, 4, 6];
const tensor = (shape: number[], seed: number, scale = 1, shift = 0) =>
  tf.add(tf.mul(tf.tensor(seeded(tf.util.sizeFromShape(shape), seed), shape), scale), shift);

async function values(ts: tf.Tensor[]): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const t of ts) out.push(await t.data() as Float32Array);
  return out;
}

Deno.test("fast FusedBatchNorm gradient equals autodiff of the elementary formula, for all five inputs", async () => {
  registerFastBatchNormGrad();
  const x = tensor(SHAPE, 1, 2, 0.5), mean = tensor([6], 2), variance = tensor([6], 3, 0.4, 0.6);
  const offset = tensor([6], 4), scale = tensor([6], 5, 0.5, 1);
  const r = tensor(SHAPE, 6);
  const eps = 1e-3;
  const inputs = [x, mean, variance, offset, scale];
  const viaKernel = tf.grads((a, m, v, o, s) => tf.sum(tf.mul(tf.batchNorm(a, m, v, o, s, eps), r)))(inputs);
  const elementary = tf.grads((a, m, v, o, s) =>
    tf.sum(tf.mul(tf.add(tf.mul(tf.mul(tf.sub(a, m), tf.rsqrt(tf.add(v, eps))), s), o), r))
  )(inputs);
  const [got, ref] = [await values(viaKernel), await values(elementary)];
  for (const [i, name] of ["x", "mean", "variance", "offset", "scale"].entries()) {
    assertLess(relErr(ref[i], got[i]), 1e-5, `d${name}`);
  }
});

/** A tiny conv model with one BN layer of the given kind, identical weights for a given seed. */
function bnModel(fast: boolean) {
  const input = tfl.input({ shape: SHAPE.slice(1) });
  const conv = tfl.layers.conv2d({ filters: 6, kernelSize: 3, padding: "same", useBias: false });
  const args = { momentum: 0.9, epsilon: 1e-3 };
  const bn = fast ? new FastBatchNormalization(args) : tfl.layers.batchNormalization(args);
  const out = tfl.layers.dense({ units: 3 }).apply(
    tfl.layers.flatten().apply(bn.apply(conv.apply(input))),
  ) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: out });
  model.weights.forEach((w, i) => {
    const isVar = w.name.includes("moving_variance") || w.name.includes("gamma");
    w.write(tensor(w.shape as number[], 50 + i, isVar ? 0.3 : 0.5, isVar ? 1 : 0));
  });
  return model;
}

/** One training-mode forward/backward: gradients of all trainable weights, then moving stats, then outputs. */
function trainingPass(fast: boolean): Promise<Float32Array[]> {
  const model = bnModel(fast);
  const x = tensor(SHAPE, 9, 1.5, 0.2);
  const vars = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  const { grads } = tf.variableGrads(
    () => tf.sum(tf.square(model.apply(x, { training: true }) as tf.Tensor)),
    vars,
  );
  const moving = model.weights.filter((w) => w.name.includes("moving")).map((w) => w.read());
  const inference = model.predict(x) as tf.Tensor;
  return values([...vars.map((v) => grads[v.name]), ...moving, inference]);
}

Deno.test("FastBatchNormalization trains like the stock layer: gradients, moving statistics, inference", async () => {
  const ref = await trainingPass(false), got = await trainingPass(true);
  assertEqualJson(
    got.length,
    5 + 2 + 1,
    "tensor count (conv W, gamma, beta, dense W, dense b; 2 moving; output)",
  );
  for (let i = 0; i < ref.length; i++) assertLess(relErr(ref[i], got[i]), 1e-5, `tensor ${i}`);
});

Deno.test("FastBatchNormalization gradient agrees with float32 finite differences (nonlinear loss)", async () => {
  const bn = new FastBatchNormalization({ epsilon: 1e-3 });
  bn.build([4, 3]);
  const xv = seeded(12, 21).map((v) => 2 * v);
  const r = tf.tensor2d(seeded(12, 22), [4, 3]);
  const loss = (xt: tf.Tensor) => tf.sum(tf.mul(tf.tanh(bn.apply(xt, { training: true }) as tf.Tensor), r));
  const dx = await tf.grad(loss)(tf.tensor2d(xv, [4, 3])).data();
  const h = 1e-2;
  for (let i = 0; i < 12; i++) {
    const plus = xv.slice(), minus = xv.slice();
    plus[i] += h;
    minus[i] -= h;
    const fd = ((await loss(tf.tensor2d(plus, [4, 3])).data())[0] -
      (await loss(tf.tensor2d(minus, [4, 3])).data())[0]) /
      (2 * h);
    assert(
      Math.abs(fd - dx[i]) < 1e-4 + 1e-3 * Math.abs(fd),
      `dx[${i}]: finite difference ${fd}, gradient ${dx[i]}`,
    );
  }
});

Deno.test("a model with FastBatchNormalization saves and loads back in the layers format", async () => {
  const model = bnModel(true);
  // One training pass so the moving statistics differ from their initial values.
  model.apply(tensor(SHAPE, 9), { training: true });
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler((artifacts) => {
    saved = artifacts;
    return Promise.resolve({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } });
  }));
  assert(saved, "nothing saved");
  assert(JSON.stringify(saved.modelTopology).includes('"class_name":"FastBatchNormalization"'), "class name");
  const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved));
  assert(loaded.layers.some((l) => l instanceof FastBatchNormalization), "loaded layer class");
  const x = tensor(SHAPE, 12);
  const [a, b] = await values([model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor]);
  assertLess(relErr(a, b), 1e-7, "predictions after the round trip");
  const before = await values(model.weights.map((w) => w.read()));
  const after = await values(loaded.weights.map((w) => w.read()));
  for (let i = 0; i < before.length; i++) assertLess(relErr(before[i], after[i]), 1e-7, `weight ${i}`);
});
