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

/** What {@link queueLayerRepresentations} returns: the features, and the predictions still on the backend. */
export interface QueuedRepresentations {
  /** Per layer (in the tap's order) [N, D']; the caller disposes them. */
  features: tf.Tensor2D[];
  /** Reads the argmax of the logits, per sample, and disposes its tensor. */
  readPredictions(): Promise<Int32Array>;
}

/**
 * Runs `tap` (outputs `[logits, ...layer activations]`, lib/models `withSelectivityOutputs`) over `x`
 * [N, H, W, C] in batches of `batchSize` and collects each layer's features under `specs` (one per layer),
 * reading nothing: the predictions are read when the caller asks, with whatever else it queued (on webgpu a
 * read waits for the GPU to finish all queued work and then at least 10 ms, bench/gpu/eval_reads.ts). Does not
 * dispose `x`.
 *
 * @example
 * const queued = queueLayerRepresentations(tap, x, specs, 128);
 * const predictions = await queued.readPredictions();
 */
export function queueLayerRepresentations(
  tap: tfl.LayersModel,
  x: tf.Tensor4D,
  specs: FeatureSpec[],
  batchSize: number,
): QueuedRepresentations {
  if (tap.outputs.length !== specs.length + 1) {
    throw new Error(
      `layerRepresentations: the tap has ${tap.outputs.length - 1} layers but ${specs.length} specs`,
    );
  }
  const n = x.shape[0];
  const parts: tf.Tensor2D[][] = specs.map(() => []);
  const classParts: tf.Tensor[] = [];
  for (let s0 = 0; s0 < n; s0 += batchSize) {
    const b = Math.min(batchSize, n - s0);
    const [classes, ...feats] = tf.tidy(() => {
      const [logits, ...acts] = tap.apply(tf.slice(x, [s0, 0, 0, 0], [b, -1, -1, -1]), {
        training: false,
      }) as tf.Tensor[];
      return [tf.argMax(logits, 1), ...acts.map((a, l) => layerFeatures(a, specs[l]))];
    });
    classParts.push(classes);
    feats.forEach((f, l) => parts[l].push(f as tf.Tensor2D));
  }
  const joined = <T extends tf.Tensor>(p: T[]): T => {
    if (p.length === 1) return p[0];
    const all = tf.concat(p, 0) as T;
    tf.dispose(p);
    return all;
  };
  const classes = joined(classParts);
  return {
    features: parts.map((p) => joined(p)),
    async readPredictions() {
      try {
        return new Int32Array(await classes.data());
      } finally {
        classes.dispose();
      }
    },
  };
}

/**
 * {@link queueLayerRepresentations} with the predictions read.
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
  const queued = queueLayerRepresentations(tap, x, specs, batchSize);
  return { features: queued.features, predictions: await queued.readPredictions() };
}
