/**
 * uint8 pixels → float pixels in [0, 1] (x/255), the one conversion every model input goes through (the models
 * normalise inside, docs/method.md §3).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

/** Image shape [height, width, channels]. */
export type PixelShape = readonly [number, number, number] | readonly number[];

/**
 * The images at `rows` of `images` (uint8, NHWC, `shape` per image) as float pixels; all images when `rows` is
 * omitted.
 *
 * @example
 * ```ts
 * floatPixels(Uint8Array.of(0, 255, 51), [1, 1, 1], [1, 2]); // Float32Array [1, 0.2]
 * ```
 */
export function floatPixels(images: Uint8Array, shape: PixelShape, rows?: ArrayLike<number>): Float32Array {
  const size = shape[0] * shape[1] * shape[2];
  if (images.length % size !== 0) {
    throw new Error(
      `floatPixels: ${images.length} bytes are not a whole number of ${shape.join("x")} images`,
    );
  }
  if (rows === undefined) {
    // A plain loop: `Float32Array.from(images, f)` walks the iterator protocol, ~50 ns a pixel (0.4 s of
    // corrupt-eval's 1.4 s on an H100's host, bench/gpu/stage_cpu_profiles.sh).
    const out = new Float32Array(images.length);
    for (let i = 0; i < images.length; i++) out[i] = images[i] / 255;
    return out;
  }
  const out = new Float32Array(rows.length * size);
  for (let i = 0; i < rows.length; i++) {
    const src = rows[i] * size;
    if (src + size > images.length) throw new Error(`floatPixels: row ${rows[i]} is past the last image`);
    for (let k = 0; k < size; k++) out[i * size + k] = images[src + k] / 255;
  }
  return out;
}

/**
 * {@link floatPixels} as an NHWC tensor.
 *
 * @example
 * ```ts
 * const x = imageTensor(data.test.images, data.meta.shape, [0, 5, 9]); // [3, H, W, C]
 * ```
 */
export function imageTensor(images: Uint8Array, shape: PixelShape, rows?: ArrayLike<number>): tf.Tensor4D {
  const x = floatPixels(images, shape, rows);
  const n = x.length / (shape[0] * shape[1] * shape[2]);
  return tf.tensor4d(x, [n, shape[0], shape[1], shape[2]]);
}
