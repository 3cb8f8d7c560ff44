/**
 * Input–unit gradients (docs/method.md §7): for every unit u of a layer and every sample x, the norm of
 * g_u(x) = ∂a_u(x)/∂x, where a_u is the spatial mean of the layer's (post-ReLU) channel u, the same unit as the
 * selectivity index. In inference mode the samples of a batch are independent, so the gradient of
 * Σᵢ a_u(xᵢ) holds every sample's own gradient. Several units share one backward pass: the batch is tiled once
 * per unit and copy j is differentiated through unit u₀ + j only.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { unitActivations } from "../selectivity/minibatch.ts";

/** Norm of a gradient (`grad.norm`). */
export type GradientNorm = "l2" | "l1";

/** Options of {@link unitGradientNorms}. */
export interface UnitGradientOptions {
  norm: GradientNorm;
  /** Most images (samples × units) in one backward pass; bounds memory. */
  maxBatch: number;
}

/**
 * `s[u][i]` = ‖∂a_u(xᵢ)/∂xᵢ‖ for every unit u of layer `layer` of `model` and every sample of `x` [N, H, W, C]
 * (the model's input, pixels in [0, 1]). Does not dispose `x`.
 *
 * @example
 * const s = await unitGradientNorms(model, "block2_relu", x, { norm: "l2", maxBatch: 512 });
 * s.length; // units of block2_relu; s[u].length === x.shape[0]
 */
export async function unitGradientNorms(
  model: tfl.LayersModel,
  layer: string,
  x: tf.Tensor4D,
  options: UnitGradientOptions,
): Promise<Float64Array[]> {
  const target = model.layers.find((l) => l.name === layer);
  if (!target) throw new Error(`model '${model.name}' has no layer '${layer}'`);
  if (!Number.isInteger(options.maxBatch) || options.maxBatch < 1) {
    throw new Error(`unitGradientNorms: maxBatch must be a positive integer, got ${options.maxBatch}`);
  }
  const sub = tfl.model({ inputs: model.inputs, outputs: target.output as tfl.SymbolicTensor });
  const units = (target.output as tfl.SymbolicTensor).shape.at(-1)!;
  const n = x.shape[0];
  const out = Array.from({ length: units }, () => new Float64Array(n));
  const sampleChunk = Math.min(n, options.maxBatch);
  const unitChunk = Math.max(1, Math.floor(options.maxBatch / sampleChunk));
  // Every chunk is queued before any is read, and one read takes them all: on webgpu each read waits for the
  // GPU to finish what is queued, then 10 ms more.
  const chunks: { s0: number; b: number; u0: number; k: number; norms: tf.Tensor }[] = [];
  try {
    for (let s0 = 0; s0 < n; s0 += sampleChunk) {
      const b = Math.min(sampleChunk, n - s0);
      const xs = tf.slice(x, [s0, 0, 0, 0], [b, -1, -1, -1]);
      for (let u0 = 0; u0 < units; u0 += unitChunk) {
        const k = Math.min(unitChunk, units - u0);
        const norms = tf.tidy(() => {
          // Row j·b + i of the tiled batch is sample i, differentiated through unit u0 + j.
          const tiled = tf.tile(xs, [k, 1, 1, 1]);
          const select = tf.buffer([k * b, units], "float32");
          for (let j = 0; j < k; j++) for (let i = 0; i < b; i++) select.set(1, j * b + i, u0 + j);
          const mask = select.toTensor();
          const grad = tf.grad((xi: tf.Tensor) =>
            tf.sum(tf.mul(unitActivations(sub.apply(xi, { training: false }) as tf.Tensor), mask))
          )(tiled);
          const flat = tf.reshape(grad, [k, b, -1]);
          return options.norm === "l2" ? tf.sqrt(tf.sum(tf.square(flat), 2)) : tf.sum(tf.abs(flat), 2);
        });
        chunks.push({ s0, b, u0, k, norms });
      }
      xs.dispose();
    }
    const values = await Promise.all(chunks.map((c) => c.norms.data()));
    chunks.forEach(({ s0, b, u0, k }, c) => {
      for (let j = 0; j < k; j++) out[u0 + j].set(values[c].subarray(j * b, (j + 1) * b), s0);
    });
  } finally {
    tf.dispose(chunks.map((c) => c.norms));
  }
  return out;
}
