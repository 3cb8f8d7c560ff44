import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { fgsm } from "../../../lib/attacks/fgsm.ts";
import { inferenceLogits, lossGradient, perSampleCrossEntropy } from "../../../lib/attacks/model.ts";
import { rows, uniforms, useCpu } from "./helpers.ts";

await useCpu();

/** conv → batch norm (non-trivial running statistics) → ReLU → dense: a small nonlinear classifier. */
function smallNet(): tfl.LayersModel {
  const input = tfl.input({ shape: [4, 4, 1] });
  const conv = tfl.layers.conv2d({
    filters: 3,
    kernelSize: 3,
    padding: "same",
    kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
  });
  const bn = tfl.layers.batchNormalization();
  const relu = tfl.layers.activation({ activation: "relu" });
  const dense = tfl.layers.dense({
    units: 3,
    kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }),
  });
  const out = dense.apply(
    tfl.layers.flatten().apply(relu.apply(bn.apply(conv.apply(input)))),
  ) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: out });
  // gamma, beta, moving mean, moving variance
  bn.setWeights([
    tf.tensor1d([1.5, 0.5, 1]),
    tf.tensor1d([0.1, -0.2, 0.3]),
    tf.tensor1d([0.2, -0.1, 0.05]),
    tf.tensor1d([0.5, 2, 1]),
  ]);
  return model;
}

const X = tf.tensor4d(uniforms(2 * 16, 21, 0.2, 0.8), [2, 4, 4, 1]);
const Y = tf.tensor1d([0, 2], "int32");

Deno.test("inferenceLogits uses the running batch-norm statistics (predict semantics)", async () => {
  const model = smallNet();
  const f = inferenceLogits(model);
  const got = await f(X).data();
  assertEquals(Array.from(got), Array.from(await (model.predict(X) as tf.Tensor).data()));
  const training = await (model.apply(X, { training: true }) as tf.Tensor).data();
  assert(got.some((v, i) => Math.abs(v - training[i]) > 1e-3), "differs from training-mode batch statistics");
});

Deno.test("per-sample cross-entropy matches log-sum-exp by hand", async () => {
  const logits = tf.tensor2d([[1, 2, 3], [0, 0, 0]]);
  const ce = await perSampleCrossEntropy(logits, tf.tensor1d([0, 1], "int32")).data();
  const lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
  assert(Math.abs(ce[0] - (lse - 1)) < 1e-6 && Math.abs(ce[1] - Math.log(3)) < 1e-6, `${ce}`);
});

Deno.test("the input gradient of a conv/BN net matches central finite differences of the inference loss", async () => {
  const f = inferenceLogits(smallNet());
  const { grad } = lossGradient(f, X, Y);
  const g = await rows(grad);
  const x = await rows(X);
  const h = 1e-3;
  const lossAt = async (i: number, pixels: number[]) =>
    (await perSampleCrossEntropy(f(tf.tensor4d(pixels, [1, 4, 4, 1])), tf.tensor1d([[0, 2][i]], "int32"))
      .data())[0];
  for (let i = 0; i < 2; i++) {
    const scale = Math.max(...g[i].map(Math.abs));
    for (let k = 0; k < 16; k++) {
      const up = x[i].slice(), down = x[i].slice();
      up[k] += h;
      down[k] -= h;
      const fd = (await lossAt(i, up) - await lossAt(i, down)) / (2 * h);
      assert(
        Math.abs(fd - g[i][k]) < 1e-2 * scale + 2e-4,
        `sample ${i} pixel ${k}: fd ${fd}, grad ${g[i][k]}`,
      );
    }
  }
  // FGSM follows the sign of that gradient wherever it is clearly non-zero.
  const adv = await rows(fgsm(f, X, Y, { eps: 0.05, norm: "linf" }));
  for (let i = 0; i < 2; i++) {
    for (let k = 0; k < 16; k++) {
      if (Math.abs(g[i][k]) < 1e-6) continue;
      assert(Math.abs(adv[i][k] - x[i][k] - 0.05 * Math.sign(g[i][k])) < 1e-6, `sample ${i} pixel ${k}`);
    }
  }
});
