/**
 * Batched inference of a classifier on uint8 NHWC images: predicted classes and accuracy. Each batch is
 * converted to [0, 1] float32 and run through `model.predict` under `tf.tidy`. The classes stay on the backend
 * until one read takes them all: on webgpu every read first waits for the GPU to finish everything queued
 * (Deno's `mapAsync` polls the device with a blocking wait) and then at least 10 ms more
 * (bench/gpu/eval_reads.ts), so a read per batch would stop the dispatch of the next batch each time, and a
 * caller with many sets ({@link predictClassesOnBackend}) reads once for all of them.
 *
 * @module
 */
import { floatPixels } from "../data/pixels.ts";
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";

/**
 * The argmax class of every image (`images`: n·H·W·C uint8 bytes, NHWC), `batchSize` at a time, as an int32
 * tensor of n left on the backend, unread; the caller reads (and disposes) it.
 *
 * @example
 * const classes = predictClassesOnBackend(model, test.images, test.shape, 256);
 * const pred = await classes.data(); classes.dispose();
 */
export function predictClassesOnBackend(
  model: tfl.LayersModel,
  images: Uint8Array,
  shape: readonly [number, number, number],
  batchSize: number,
): tf.Tensor1D {
  const [h, w, c] = shape;
  const size = h * w * c;
  if (images.length % size !== 0) {
    throw new Error(`predictClasses: ${images.length} bytes are not a whole number of ${h}x${w}x${c} images`);
  }
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`predictClasses: batchSize must be a positive integer, got ${batchSize}`);
  }
  const n = images.length / size;
  if (n === 0) return tf.tensor1d([], "int32");
  const batches: tf.Tensor1D[] = [];
  for (let start = 0; start < n; start += batchSize) {
    const b = Math.min(batchSize, n - start);
    const pixels = floatPixels(images.subarray(start * size, (start + b) * size), [h, w, c]);
    batches.push(tf.tidy(() => {
      // The whole batch in one pass: `predict` alone would cut it into tfjs-layers' default 32 and concatenate.
      const logits = model.predict(tf.tensor4d(pixels, [b, h, w, c]), { batchSize: b }) as tf.Tensor;
      return tf.argMax(logits, -1) as tf.Tensor1D;
    }));
  }
  if (batches.length === 1) return batches[0];
  const all = tf.concat(batches);
  tf.dispose(batches);
  return all;
}

/**
 * The argmax class of every image (`images`: n·H·W·C uint8 bytes, NHWC), `batchSize` at a time, read once.
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
  const classes = predictClassesOnBackend(model, images, shape, batchSize);
  try {
    return await classes.data() as Int32Array;
  } finally {
    classes.dispose();
  }
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
