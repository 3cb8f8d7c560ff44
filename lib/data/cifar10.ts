/**
 * CIFAR-10 "binary version" batches (`data_batch_1.bin` … `data_batch_5.bin`, `test_batch.bin`) and the class
 * list `batches.meta.txt`. See https://www.cs.toronto.edu/~kriz/cifar.html.
 *
 * Each record is 1 label byte followed by 3072 pixel bytes: the 1024 red values of the 32×32 image in row-major
 * order, then the 1024 green, then the 1024 blue (planar CHW). Parsing converts to interleaved HWC.
 *
 * @module
 */
import { checkLabels, type ImageShape, type LabelledImages } from "./dataset.ts";

/** Shape of one CIFAR-10 image. */
export const CIFAR10_SHAPE: ImageShape = [32, 32, 3];
/** Bytes per record: a label byte plus 32·32·3 pixels. */
export const CIFAR10_RECORD_BYTES = 1 + 32 * 32 * 3;
/** The batch files of the binary release, in the order their records are concatenated. */
export const CIFAR10_TRAIN_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
/** The test batch file of the binary release. */
export const CIFAR10_TEST_FILE = "test_batch.bin";

/**
 * Parses one binary batch into HWC images and labels. The byte length must be a positive multiple of 3073
 * and every label below 10.
 *
 * @example
 * ```ts
 * const test = parseCifar10Batch(await Deno.readFile("cifar-10-batches-bin/test_batch.bin"), "test_batch.bin");
 * ```
 */
export function parseCifar10Batch(bytes: Uint8Array, file: string): LabelledImages {
  if (bytes.length === 0 || bytes.length % CIFAR10_RECORD_BYTES !== 0) {
    throw new Error(
      `${file}: ${bytes.length} bytes is not a whole number of CIFAR-10 records (${CIFAR10_RECORD_BYTES} bytes ` +
        `each: 1 label + 3072 pixels); the file is truncated or not a CIFAR-10 binary batch`,
    );
  }
  const n = bytes.length / CIFAR10_RECORD_BYTES;
  const plane = 32 * 32;
  const images = new Uint8Array(n * plane * 3);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const rec = i * CIFAR10_RECORD_BYTES;
    labels[i] = bytes[rec];
    const out = i * plane * 3;
    for (let p = 0; p < plane; p++) {
      images[out + 3 * p] = bytes[rec + 1 + p];
      images[out + 3 * p + 1] = bytes[rec + 1 + plane + p];
      images[out + 3 * p + 2] = bytes[rec + 1 + 2 * plane + p];
    }
  }
  checkLabels(labels, 10, file);
  return { images, labels, shape: CIFAR10_SHAPE };
}

/** The 10 class names of `batches.meta.txt` (one per line; blank lines ignored). */
export function parseCifar10Meta(text: string, file: string): string[] {
  const names = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  if (names.length !== 10) {
    throw new Error(`${file}: expected 10 class names, one per line, found ${names.length}`);
  }
  return names;
}
