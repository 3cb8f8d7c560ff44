/**
 * The in-memory form every dataset parser returns: uint8 pixels in NHWC order and one uint8 label per image.
 *
 * @module
 */

/** Image height, width and channel count. */
export type ImageShape = [height: number, width: number, channels: number];

/** N images of one shape, NHWC uint8 pixels, with one label (a class index) per image. */
export interface LabelledImages {
  /** N·H·W·C bytes; image i starts at i·H·W·C, pixel (y, x) channel c at ((y·W + x)·C + c). */
  images: Uint8Array;
  /** N class indices. */
  labels: Uint8Array;
  shape: ImageShape;
}

/** Labelled images plus the class names that the labels index. */
export interface Dataset extends LabelledImages {
  classes: string[];
}

/** Bytes in one image of this shape (H·W·C). */
export function imageSize(shape: ImageShape): number {
  return shape[0] * shape[1] * shape[2];
}

/**
 * The images and labels at `indices`, in that order, copied into new arrays.
 *
 * @example
 * ```ts
 * const firstTwo = takeRows(data, [0, 1]);
 * ```
 */
export function takeRows(data: LabelledImages, indices: ArrayLike<number>): LabelledImages {
  const size = imageSize(data.shape);
  const n = data.labels.length;
  const images = new Uint8Array(indices.length * size);
  const labels = new Uint8Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if (!(i >= 0 && i < n)) throw new Error(`takeRows: index ${i} is out of range 0..${n - 1}`);
    images.set(data.images.subarray(i * size, (i + 1) * size), k * size);
    labels[k] = data.labels[i];
  }
  return { images, labels, shape: data.shape };
}

/** The rows of several parts of one shape, one after another. */
export function concatRows(parts: LabelledImages[]): LabelledImages {
  if (parts.length === 0) throw new Error("concatRows: no parts");
  const shape = parts[0].shape;
  for (const p of parts) {
    if (p.shape.join("x") !== shape.join("x")) {
      throw new Error(`concatRows: shape ${p.shape.join("x")} differs from ${shape.join("x")}`);
    }
  }
  const images = new Uint8Array(parts.reduce((a, p) => a + p.images.length, 0));
  const labels = new Uint8Array(parts.reduce((a, p) => a + p.labels.length, 0));
  let io = 0, lo = 0;
  for (const p of parts) {
    images.set(p.images, io);
    labels.set(p.labels, lo);
    io += p.images.length;
    lo += p.labels.length;
  }
  return { images, labels, shape };
}

/** Throws, naming `file`, if a label is not a valid index into `numClasses` classes. */
export function checkLabels(labels: Uint8Array, numClasses: number, file: string): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= numClasses) {
      throw new Error(
        `${file}: label ${labels[i]} at index ${i} is not a class index (expected 0..${numClasses - 1})`,
      );
    }
  }
}
