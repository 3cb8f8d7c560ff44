/**
 * Which activations of a layer form the representation whose dimensionality is measured (docs/method.md §6 step 2,
 * `dim.representation`):
 *
 * - `flatten`: every element of the feature map, D = H·W·C (paper default). When D exceeds a cap
 *   (`dim.max_features`), a seeded random subset of `cap` coordinates is kept, the same subset for every
 *   condition and network of that layer shape, so ΔX stays a difference of the same coordinates. Coordinate
 *   sampling costs nothing and needs no D×cap projection matrix; it keeps every sample's own values.
 * - `spatial_mean`: the spatial mean of each channel, D = C (the selectivity unit; caps dimensionality at C).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { deriveSeed, Rng } from "../random.ts";
import { unitActivations } from "../selectivity/minibatch.ts";

/** `dim.representation`. */
export type Representation = "flatten" | "spatial_mean";

/** How one layer's activations become feature vectors. */
export interface FeatureSpec {
  representation: Representation;
  /** Features per sample before any cap. */
  features: number;
  /** Kept coordinates of the flattened map (ascending), or null for all. */
  subset: Int32Array | null;
}

/**
 * The feature spec of a layer whose activation shape (without the batch axis) is `shape`. `maxFeatures` null
 * means no cap. The subset depends only on `seed`, `layer` and the sizes.
 *
 * @example
 * featureSpec("block2_relu", [28, 28, 32], "flatten", 8192, 0).subset!.length; // 8192 of 25088
 */
export function featureSpec(
  layer: string,
  shape: readonly number[],
  representation: Representation,
  maxFeatures: number | null,
  seed: number,
): FeatureSpec {
  const features = representation === "flatten" ? shape.reduce((a, b) => a * b, 1) : shape.at(-1)!;
  if (representation === "spatial_mean" || maxFeatures === null || features <= maxFeatures) {
    return { representation, features, subset: null };
  }
  const order = new Rng(deriveSeed(seed, "dim-features", layer, features)).permutation(features);
  return { representation, features, subset: Int32Array.from(order.subarray(0, maxFeatures)).sort() };
}

/** Feature vectors [B, D'] of a batch of activations [B, ...shape] under `spec`. Tensor ops only. */
export function layerFeatures(activation: tf.Tensor, spec: FeatureSpec): tf.Tensor2D {
  return tf.tidy(() => {
    if (spec.representation === "spatial_mean") return unitActivations(activation);
    const flat = tf.reshape(activation, [activation.shape[0], -1]) as tf.Tensor2D;
    return spec.subset === null ? flat : tf.gather(flat, tf.tensor1d(spec.subset, "int32"), 1) as tf.Tensor2D;
  });
}
