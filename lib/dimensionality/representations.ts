/**
 * Layer representations of an image set: the feature vectors (lib/dimensionality/features.ts) of every
 * selectivity layer, batch by batch in inference mode, plus the predicted classes.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { type FeatureSpec, layerFeatures } from "./features.ts";

/** What {@link layerRepresentations} returns; the caller disposes `features`. */
export interface Representations {
  /** Per layer (in the tap's order) [N, D']. */
  features: tf.Tensor2D[];
  /** Argmax of the logits, per sample. */
  predictions: Int32Array;
}

/**
 * Runs `tap` (outputs `[logits, ...layer activations]`, lib/models `withSelectivityOutputs`) over `x`
 * [N, H, W, C] in batches of `batchSize` and collects each layer's features under `specs` (one per layer).
 * Does not dispose `x`.
 *
 * @example
 * const { features, predictions } = await layerRepresentations(tap, x, specs, 128);
 */
export async function layerRepresentations(
  tap: tfl.LayersModel,
  x: tf.Tensor4D,
  specs: FeatureSpec[],
  batchSize: number,
): Promise<Representations> {
  if (tap.outputs.length !== specs.length + 1) {
    throw new Error(
      `layerRepresentations: the tap has ${tap.outputs.length - 1} layers but ${specs.length} specs`,
    );
  }
  const n = x.shape[0];
  const parts: tf.Tensor2D[][] = specs.map(() => []);
  const predictions = new Int32Array(n);
  const reads: Promise<void>[] = [];
  for (let s0 = 0; s0 < n; s0 += batchSize) {
    const b = Math.min(batchSize, n - s0);
    const [classes, ...feats] = tf.tidy(() => {
      const [logits, ...acts] = tap.apply(tf.slice(x, [s0, 0, 0, 0], [b, -1, -1, -1]), {
        training: false,
      }) as tf.Tensor[];
      return [tf.argMax(logits, 1), ...acts.map((a, l) => layerFeatures(a, specs[l]))];
    });
    // Read later, together: on webgpu each wait costs ≥ 10 ms (bench/gpu/eval_reads.ts).
    reads.push(
      classes.data().then((v: tf.TypedArray) => predictions.set(v as Int32Array, s0)).finally(() =>
        classes.dispose()
      ),
    );
    feats.forEach((f, l) => parts[l].push(f as tf.Tensor2D));
  }
  await Promise.all(reads);
  const features = parts.map((p) => {
    const joined = p.length === 1 ? p[0] : tf.concat(p, 0);
    if (p.length > 1) tf.dispose(p);
    return joined;
  });
  return { features, predictions };
}
