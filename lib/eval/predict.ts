/**
 * Batched inference of a classifier on uint8 NHWC images: predicted classes and accuracy. Each batch is
 * converted to [0, 1] float32 and run through `model.predict` under `tf.tidy`; results are read with
 * `data()` (safe under webgpu). Every batch is queued before any read is awaited: on webgpu each wait costs
 * at least 10 ms (bench/gpu/eval_reads.ts), and reads started together share one.
 *
 * @module
 */
import { floatPixels } from "../data/pixels.ts";
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";

/**
 * The argmax class of every image (`images`: n·H·W·C uint8 bytes, NHWC), `batchSize` at a time.
 *
 * @example
 * const pred = await predictClasses(model, test.images, test.shape, 256);
 */
export async function predictClasses(
  model: tfl.LayersModel,
  images: Uint8Array,
  shape: readonly [number, number, number],
  batchSize: number,
): Promise<Int32Array> {
  const [h, w, c] = shape;
  const size = h * w * c;
  if (images.length % size !== 0) {
    throw new Error(`predictClasses: ${images.length} bytes are not a whole number of ${h}x${w}x${c} images`);
  }
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`predictClasses: batchSize must be a positive integer, got ${batchSize}`);
  }
  const n = images.length / size;
  const out = new Int32Array(n);
  const reads: Promise<void>[] = [];
  for (let start = 0; start < n; start += batchSize) {
    const b = Math.min(batchSize, n - start);
    const pixels = floatPixels(images.subarray(start * size, (start + b) * size), [h, w, c]);
    const classes = tf.tidy(() => {
      // The whole batch in one pass: `predict` alone would cut it into tfjs-layers' default 32 and concatenate.
      const logits = model.predict(tf.tensor4d(pixels, [b, h, w, c]), { batchSize: b }) as tf.Tensor;
      return tf.argMax(logits, -1);
    });
    reads.push(classes.data().then((v) => out.set(v as Int32Array, start)).finally(() => classes.dispose()));
  }
  await Promise.all(reads);
  return out;
}

/** Share of `predicted[i] === labels[i]`. */
export function accuracyOf(predicted: ArrayLike<number>, labels: ArrayLike<number>): number {
  if (predicted.length !== labels.length || labels.length === 0) {
    throw new Error(`accuracyOf: ${predicted.length} predictions for ${labels.length} labels`);
  }
  let hits = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) hits++;
  return hits / labels.length;
}
