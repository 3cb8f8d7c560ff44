import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import assert from "node:assert/strict";
import { buildModel } from "../../../lib/models/registry.ts";
import { withSelectivityOutputs } from "../../../lib/models/multi_output.ts";
import {
  minibatchGroupSelectivity,
  minibatchSelectivity,
  regularizedLoss,
} from "../../../lib/selectivity/minibatch.ts";
import { type Activation4D, referenceNetworkSI } from "./reference.ts";

await tf.setBackend("cpu");

const EPS = 1e-7;

function tinyNetworkActivations(labels: number[], numClasses: number): tf.Tensor[] {
  const { model, selectivityLayers } = buildModel("cnn", { inputShape: [6, 6, 1], numClasses, seed: 4 });
  const tap = withSelectivityOutputs(model, selectivityLayers);
  const [, ...acts] = tap.predict(
    tf.randomUniform([labels.length, 6, 6, 1], 0, 1, "float32", 2),
  ) as tf.Tensor[];
  return acts;
}

Deno.test("minibatch μ_SI matches the plain-loop reference, with an absent class, for block and stage grouping", () => {
  const labels = [0, 2, 2, 4, 0, 4, 2, 0]; // classes 1 and 3 absent
  const acts = tinyNetworkActivations(labels, 5);
  const nested = acts.map((a) => a.arraySync() as Activation4D);
  const y = tf.tensor1d(labels, "int32");
  for (const groups of [undefined, [[0, 1], [2]]]) {
    const reference = referenceNetworkSI(nested, labels, 5, EPS, groups);
    const got = minibatchSelectivity(acts, y, { numClasses: 5, groups }).dataSync()[0];
    assert(Math.abs(got - reference.network) < 1e-5, `${got} vs ${reference.network}`);
    const perGroup = minibatchGroupSelectivity(acts, y, { numClasses: 5, groups }).dataSync();
    reference.perGroup.forEach((si, g) => {
      const mean = si.reduce((a, b) => a + b, 0) / si.length;
      assert(Math.abs(perGroup[g] - mean) < 1e-5);
    });
  }
});

Deno.test("hand-worked minibatch: [B, U] activations, one-class unit and uniform unit", () => {
  // unit 0 fires for class 1 only; unit 1 is equal for all samples; class 2 absent.
  const a = tf.tensor2d([[0, 3], [0, 3], [4, 3], [0, 3]]);
  const y = tf.tensor1d([0, 0, 1, 0], "int32");
  const si = minibatchGroupSelectivity([a], y, { numClasses: 3 }).dataSync()[0];
  assert(Math.abs(si - (4 / (4 + EPS) + 0) / 2) < 1e-6);
});

Deno.test("a batch with a single class contributes SI 0 and no gradient", () => {
  const a = tf.tensor2d([[1, 0], [3, 2]]);
  const y = tf.tensor1d([1, 1], "int32");
  const f = (t: tf.Tensor) => minibatchSelectivity([t], y, { numClasses: 3 });
  assert.equal(f(a).dataSync()[0], 0);
  assert.deepEqual(Array.from(tf.grad(f)(a).dataSync()), [0, 0, 0, 0]);
});

Deno.test("gradient of minibatch μ_SI matches float64 finite differences of the reference", () => {
  const labels = [0, 1, 1, 3, 0, 3]; // class 2 absent
  const shapes = [[6, 2, 2, 3], [6, 1, 2, 2]];
  const values = shapes.map((s, k) => Array.from(tf.randomUniform(s, 0.1, 1, "float32", 20 + k).dataSync()));
  const y = tf.tensor1d(labels, "int32");
  const groupsList = [undefined, [[0, 1]]];
  for (const groups of groupsList) {
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      minibatchSelectivity([a, b], y, { numClasses: 4, groups })
    )(
      values.map((v, k) => tf.tensor(v, shapes[k])),
    ).map((g) => g.dataSync());
    const nest = (flat: number[], s: number[]) => tf.tensor(flat, s).arraySync() as Activation4D;
    const f = (vals: number[][]) =>
      referenceNetworkSI(vals.map((v, k) => nest(v, shapes[k])), labels, 4, EPS, groups).network;
    const h = 1e-4;
    let maxErr = 0;
    values.forEach((v, k) => {
      for (let i = 0; i < v.length; i++) {
        const plus = values.map((w) => [...w]);
        const minus = values.map((w) => [...w]);
        plus[k][i] += h;
        minus[k][i] -= h;
        const fd = (f(plus) - f(minus)) / (2 * h);
        maxErr = Math.max(maxErr, Math.abs(grads[k][i] - fd) / Math.max(1e-2, Math.abs(fd)));
      }
    });
    assert(maxErr < 1e-3, `relative gradient error ${maxErr}`);
  }
});

Deno.test("regularized loss is CE − α·μ_SI; its activation gradient is −α times the SI gradient", () => {
  const rows = [[2, 0, -1], [0.5, 0.5, 0], [0, 1, 3]];
  const classes = [0, 2, 2];
  const logits = tf.tensor2d(rows);
  const labels = tf.tensor1d(classes, "int32");
  const act = tf.tensor2d([[1, 0.2], [0.1, 0.3], [0.4, 0.9]]);
  const ce =
    rows.reduce((s, r, i) => s + Math.log(r.reduce((t, v) => t + Math.exp(v), 0)) - r[classes[i]], 0) / 3;
  for (const alpha of [-2, 0, 0.7]) {
    const terms = regularizedLoss(logits, [act], labels, { alpha, numClasses: 3 });
    assert(Math.abs(terms.crossEntropy.dataSync()[0] - ce) < 1e-5);
    const si = terms.meanSI.dataSync()[0];
    assert(Math.abs(terms.loss.dataSync()[0] - (ce - alpha * si)) < 1e-5);
    if (alpha === 0) continue; // the baseline loss does not depend on the activations at all
    const dLoss = tf.grad((a: tf.Tensor) =>
      regularizedLoss(logits, [a], labels, { alpha, numClasses: 3 }).loss
    )(act);
    const dSI = tf.grad((a: tf.Tensor) => minibatchSelectivity([a], labels, { numClasses: 3 }))(act);
    const want = tf.mul(dSI, -alpha).dataSync();
    dLoss.dataSync().forEach((g, i) => assert(Math.abs(g - want[i]) < 1e-6));
  }
});

Deno.test("works inside tf.variableGrads on a model in training mode", () => {
  const { model, selectivityLayers } = buildModel("cnn", { inputShape: [6, 6, 1], numClasses: 3, seed: 6 });
  const tap = withSelectivityOutputs(model, selectivityLayers);
  const x = tf.randomUniform([6, 6, 6, 1], 0, 1, "float32", 8);
  const labels = tf.tensor1d([0, 1, 2, 0, 1, 2], "int32");
  const gradsFor = (alpha: number) =>
    tf.variableGrads(() => {
      const [logits, ...acts] = tap.apply(x, { training: true }) as tf.Tensor[];
      return regularizedLoss(logits, acts, labels, { alpha, numClasses: 3 }).loss;
    });
  const base = gradsFor(0);
  const reg = gradsFor(1);
  assert.equal(Object.keys(reg.grads).length, model.trainableWeights.length);
  for (const g of Object.values(reg.grads)) assert(g.dataSync().every(Number.isFinite));
  const name = Object.keys(base.grads).find((n) => n.startsWith("block1_conv"))!;
  const diff = tf.max(tf.abs(tf.sub(reg.grads[name], base.grads[name]))).dataSync()[0];
  assert(diff > 0, "the SI term must reach the first conv layer");
});
