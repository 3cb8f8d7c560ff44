/**
 * One corruption's images for a corrupted-sets file (corrupted_sets.ts): every severity of every clean image,
 * severity-major, each image corrupted with its own seeded generator (`corruptionRng`), so that the bytes do
 * not depend on where or in which order the images are made (the main thread or a corrupt_worker.ts thread).
 *
 * @example
 * ```ts
 * const rows = corruptedRows(clean, [28, 28, 1], subset, "fog", [1, 3], 0); // 2 · subset.length images
 * ```
 *
 * @module
 */
import { type CorruptionName, corruptionRng, corruptStored } from "./registry.ts";

/**
 * The uint8 images of corruption `name` at each of `severities` (in that order) of the `subset.length` clean
 * images in `clean` (concatenated, of `shape`; image k is test image `subset[k]`, whose index seeds its noise).
 */
export function corruptedRows(
  clean: Uint8Array,
  shape: readonly [number, number, number],
  subset: ArrayLike<number>,
  name: CorruptionName,
  severities: readonly number[],
  seed: number,
): Uint8Array {
  const size = shape[0] * shape[1] * shape[2];
  const n = subset.length;
  const rows = new Uint8Array(severities.length * n * size);
  for (const [s, severity] of severities.entries()) {
    for (let k = 0; k < n; k++) {
      const rng = corruptionRng(seed, name, severity, subset[k]);
      const image = corruptStored(clean.subarray(k * size, (k + 1) * size), shape, name, severity, rng);
      rows.set(image, (s * n + k) * size);
    }
  }
  return rows;
}
