/**
 * Minibatches from a prepared split: the per-epoch seeded order, standard augmentation, and conversion of
 * uint8 pixels to [0, 1] floats (the models normalise inside, see lib/models).
 *
 * Augmentation per dataset ({@link augmentationFor}): random crop with zero padding plus a horizontal flip
 * for the natural-image sets (cifar10, tiny-imagenet), as in docs/method.md §3; none for the MNIST family and the
 * synthetic set (digits and clothing have a canonical orientation and are centred; flipping would change what
 * some classes look like, and the paper's recipe only covers the natural-image sets).
 *
 * Randomness: the order of epoch e comes from `deriveSeed(seed, "shuffle", e)` and its augmentation from
 * `deriveSeed(seed, "augment", e)`, so each epoch is fixed by (seed, epoch) alone — the "RNG position" a
 * checkpoint must remember is just the epoch number.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { PreparedSplit } from "./prepared.ts";
import { deriveSeed, Rng } from "../random.ts";
import { floatPixels } from "./pixels.ts";

/** Augmentation applied to training batches. */
export type Augmentation = { kind: "none" } | { kind: "crop-flip"; padding: number };

/** The standard augmentation of a dataset (see the module doc). */
export function augmentationFor(dataset: string): Augmentation {
  return dataset === "cifar10" || dataset === "tiny-imagenet"
    ? { kind: "crop-flip", padding: 4 }
    : { kind: "none" };
}

/** One batch: NHWC float pixels in [0, 1] and int32 labels. */
export interface Batch {
  x: Float32Array;
  labels: Int32Array;
  /** [B, H, W, C]. */
  shape: [number, number, number, number];
}

/**
 * A batch whose images are already a tensor on the backend (a training method made them there: PGD's
 * examples on webgpu, which step graphs take without a read); whoever holds it disposes `x`.
 */
export interface DeviceBatch {
  x: tf.Tensor4D;
  labels: Int32Array;
  /** [B, H, W, C]. */
  shape: [number, number, number, number];
}

/** The seeded order of the training split in `epoch`. */
export function epochOrder(n: number, seed: number, epoch: number): Uint32Array {
  return new Rng(deriveSeed(seed, "shuffle", epoch)).permutation(n);
}

/** The batches of one epoch as index lists (the last one may be smaller). */
export function batchIndices(order: Uint32Array, batchSize: number): Uint32Array[] {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`batch size must be ≥ 1, got ${batchSize}`);
  }
  const out: Uint32Array[] = [];
  for (let i = 0; i < order.length; i += batchSize) out.push(order.subarray(i, i + batchSize));
  return out;
}

/**
 * Assembles a batch from `split` at `indices`. With crop-flip, each image is shifted by a uniform offset in
 * [−padding, padding] in y and x (pixels moved in from outside are 0, i.e. zero padding then a crop) and
 * mirrored left–right with probability ½; `rng` must then be given and is advanced by three draws per image.
 *
 * @example
 * const b = makeBatch(data.train, indices, { kind: "crop-flip", padding: 4 }, rng);
 * const [x, labels] = batchTensors(b);
 */
export function makeBatch(
  split: PreparedSplit,
  indices: ArrayLike<number>,
  augmentation: Augmentation = { kind: "none" },
  rng?: Rng,
): Batch {
  const [h, w, c] = split.shape;
  const size = h * w * c;
  const b = indices.length;
  if (augmentation.kind === "none") {
    const labels = Int32Array.from(indices, (i) => split.labels[i]);
    return { x: floatPixels(split.images, split.shape, indices), labels, shape: [b, h, w, c] };
  }
  const x = new Float32Array(b * size);
  const labels = new Int32Array(b);
  for (let i = 0; i < b; i++) {
    const src = indices[i] * size;
    const dst = i * size;
    labels[i] = split.labels[indices[i]];
    if (!rng) throw new Error("makeBatch: crop-flip augmentation needs an rng");
    const p = augmentation.padding;
    const dy = rng.int(2 * p + 1) - p;
    const dx = rng.int(2 * p + 1) - p;
    const flip = rng.int(2) === 1;
    for (let y = 0; y < h; y++) {
      const sy = y + dy;
      if (sy < 0 || sy >= h) continue; // stays 0
      for (let xo = 0; xo < w; xo++) {
        const sx = (flip ? w - 1 - xo : xo) + dx;
        if (sx < 0 || sx >= w) continue;
        const from = src + (sy * w + sx) * c;
        const to = dst + (y * w + xo) * c;
        for (let ch = 0; ch < c; ch++) x[to + ch] = split.images[from + ch] / 255;
      }
    }
  }
  return { x, labels, shape: [b, h, w, c] };
}

/**
 * Per-channel mean and standard deviation of a split's pixels on the [0, 1] scale (for the models' input
 * normalisation). A constant channel gets std 1 so that normalising never divides by zero.
 */
export function channelStats(split: PreparedSplit): { mean: number[]; std: number[] } {
  const c = split.shape[2];
  const sum = new Float64Array(c);
  const sumSq = new Float64Array(c);
  const px = split.images;
  for (let i = 0; i < px.length; i++) {
    const v = px[i] / 255;
    sum[i % c] += v;
    sumSq[i % c] += v * v;
  }
  const count = px.length / c;
  if (count === 0) throw new Error("channelStats: the split has no images");
  const mean = Array.from(sum, (s) => s / count);
  const std = mean.map((m, ch) => {
    const s = Math.sqrt(Math.max(0, sumSq[ch] / count - m * m));
    return s > 1e-6 ? s : 1;
  });
  return { mean, std };
}

/**
 * The images and int32 labels of a batch as tensors (the caller disposes them; a device batch's images are a
 * new reference to its tensor).
 *
 * @example
 * const [x, labels] = batchTensors(makeBatch(data.test, [0, 1, 2]));
 */
export function batchTensors(batch: Batch | DeviceBatch): [tf.Tensor4D, tf.Tensor1D] {
  const x = batch.x instanceof tf.Tensor ? tf.clone(batch.x) : tf.tensor4d(batch.x, batch.shape);
  return [x, tf.tensor1d(batch.labels, "int32")];
}
