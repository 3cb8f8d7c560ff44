/**
 * Shared cases of the batch-norm kernel tests (webgpu_batch_norm_test.ts, wasm_batch_norm_test.ts): one training
 * pass of a stock or fast BN layer, and the shapes to run it on.
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { assertLess } from "../assert.ts";
import { runOn, seeded } from "../reference.ts";
import { BN_STATS } from "../../../../lib/backends/kernels/webgpu_batch_norm.ts";
import { FastBatchNormalization } from "../../../../lib/models/fast_batch_norm.ts";

/** A seeded tensor, scaled and shifted. */
export const tensor = (shape: number[], seed: number, scale = 1, shift = 0) =>
  tf.add(tf.mul(tf.tensor(seeded(tf.util.sizeFromShape(shape), seed), shape), scale), shift);

/**
 * One training-mode pass of a BN layer (stock or fast) on x: [y, dx, dγ, dβ, moving mean, moving variance] for
 * the loss Σ y·r.
 */
export function bnPass(fast: boolean, shape: number[], seed: number, shift: number): tf.Tensor[] {
  const args = { momentum: 0.9, epsilon: 1e-3 };
  const bn = fast ? new FastBatchNormalization(args) : tfl.layers.batchNormalization(args);
  const c = shape[shape.length - 1];
  bn.build(shape);
  bn.weights.forEach((w, i) => {
    const positive = w.name.includes("gamma") || w.name.includes("variance");
    w.write(tensor([c], seed + 10 + i, positive ? 0.3 : 0.5, positive ? 1 : 0));
  });
  const [gamma, beta] = bn.trainableWeights.map((w) => w.read() as tf.Variable);
  const x = tensor(shape, seed, 2, shift);
  const r = tensor(shape, seed + 1);
  let y: tf.Tensor | null = null;
  const loss = (xt: tf.Tensor): tf.Scalar => {
    const out = bn.apply(xt, { training: true }) as tf.Tensor;
    y = tf.keep(out);
    return tf.sum(tf.mul(out, r));
  };
  const { grads } = tf.variableGrads(() => loss(x), [gamma, beta]);
  const dx = tf.grad(loss)(x);
  const moving = bn.weights.filter((w) => w.name.includes("moving")).map((w) => w.read());
  return [y!, dx, grads[gamma.name], grads[beta.name], ...moving];
}

/**
 * Rank 2–4; 1 to 70 channels (70: two channel groups of webgpu's first reduction pass, the second partial; on
 * wasm 3, 5 and 70 leave channels past the last group of 4); row counts below, at and well above the 256
 * threads of a workgroup and wasm's 512-row chunks, several row splits ([4, 9, 9, 16], [1300, 5], [3, 50, 70];
 * see reductionPlan).
 */
export const BN_SHAPES = [[4, 3], [2, 5, 5, 3], [3, 7, 33], [4, 9, 9, 16], [1300, 5], [2, 16, 16, 1], [
  3,
  50,
  70,
]];

/**
 * Checks `backend`'s BN_STATS kernel on 3000 rows of `channels` channels near 1000·(c + 1), where E[x²] − E[x]²
 * would lose the variance, against float64 loops.
 */
export async function checkStatsFarFromZero(backend: string, channels: number): Promise<void> {
  const rows = 3000, c = channels;
  const x = Float32Array.from(seeded(rows * c, 7), (v, i) => 1000 * (1 + (i % c)) + v);
  const [stats] = await runOn(backend, () => [
    tf.engine().runKernel(BN_STATS, { x: tf.tensor2d(x, [rows, c]) }, {}) as tf.Tensor,
  ]);
  for (let ch = 0; ch < c; ch++) {
    let s = 0, s2 = 0;
    for (let r = 0; r < rows; r++) s += x[r * c + ch];
    const mean = s / rows;
    for (let r = 0; r < rows; r++) s2 += (x[r * c + ch] - mean) ** 2;
    const variance = s2 / rows;
    assertLess(Math.abs(stats[ch] - mean) / mean, 1e-6, `${backend}: mean of channel ${ch}`);
    assertLess(Math.abs(stats[c + ch] - variance) / variance, 1e-3, `${backend}: variance of channel ${ch}`);
  }
}
