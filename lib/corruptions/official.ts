/**
 * Loaders for the official corruption benchmarks (docs/method.md §4.7.2–4.7.3), used instead of the TS corruptions
 * when the stage's `official_dir` points at them:
 * - CIFAR-10-C: `<dir>/<corruption>.npy`, uint8 (N, 32, 32, 3) with N = 5·n, severity s in rows
 *   [(s−1)·n, s·n), images in test-set order; `<dir>/labels.npy` (N,) of any integer dtype.
 * - Tiny-ImageNet-C: `<dir>/<corruption>/<severity>/<wnid>/<file>.JPEG`, 64×64; the label is the wnid's index
 *   in the class list given (the prepared data's `wnids.txt` order). These images are ImageNet-val crops, not
 *   the Tiny ImageNet val images (docs/method.md §4.7.3), so results are labelled with their source.
 *
 * @module
 */
import { join } from "node:path";
import jpeg from "jpeg-js";
import { readNpyRows } from "./npy.ts";

/** One corrupted set: uint8 NHWC images and their labels. */
export interface CorruptedSet {
  images: Uint8Array;
  labels: Uint8Array;
  n: number;
  shape: [number, number, number];
}

/**
 * Severity `severity` of `<dir>/<corruption>.npy` with labels from `<dir>/labels.npy`; optionally only the
 * rows `indices` of the block (indices into the test set).
 *
 * @example
 * const set = await loadCifar10C("data/CIFAR-10-C", "fog", 3);
 */
export async function loadCifar10C(
  dir: string,
  corruption: string,
  severity: number,
  indices?: ArrayLike<number>,
): Promise<CorruptedSet> {
  const path = join(dir, `${corruption}.npy`);
  const head = await readNpyRows(path, 0, 0);
  const shape = head.header.shape;
  if (head.header.descr !== "|u1" || shape.length !== 4 || shape[3] !== 3 || shape[0] % 5 !== 0) {
    throw new Error(
      `${path}: expected uint8 (5·n, H, W, 3) as in CIFAR-10-C, got ${head.header.descr} (${
        shape.join(", ")
      })`,
    );
  }
  if (!Number.isInteger(severity) || severity < 1 || severity > 5) {
    throw new Error(`severity must be 1..5, got ${severity}`);
  }
  const perSeverity = shape[0] / 5;
  const block = await readNpyRows(path, (severity - 1) * perSeverity, perSeverity);
  const labelsPath = join(dir, "labels.npy");
  const labelRows = await readNpyRows(labelsPath, (severity - 1) * perSeverity, perSeverity);
  const imageBytes = shape[1] * shape[2] * 3;
  const pick = indices ?? Array.from({ length: perSeverity }, (_, i) => i);
  const images = new Uint8Array(pick.length * imageBytes);
  const labels = new Uint8Array(pick.length);
  for (let k = 0; k < pick.length; k++) {
    const i = pick[k];
    if (!(i >= 0 && i < perSeverity)) {
      throw new Error(`${path}: image index ${i} outside 0..${perSeverity - 1}`);
    }
    images.set(block.raw.subarray(i * imageBytes, (i + 1) * imageBytes), k * imageBytes);
    const label = labelRows.values[i];
    if (!(Number.isInteger(label) && label >= 0 && label < 256)) {
      throw new Error(`${labelsPath}: bad label ${label}`);
    }
    labels[k] = label;
  }
  return { images, labels, n: pick.length, shape: [shape[1], shape[2], 3] };
}

/**
 * All images of `<dir>/<corruption>/<severity>/`, in sorted (wnid, file) order, labelled by the index of the
 * wnid in `wnids`. Images must decode to `side`×`side`.
 */
export async function loadTinyImagenetC(
  dir: string,
  corruption: string,
  severity: number,
  wnids: readonly string[],
  side = 64,
): Promise<CorruptedSet> {
  const root = join(dir, corruption, String(severity));
  const classOf = new Map(wnids.map((w, i) => [w, i]));
  const files: { path: string; label: number }[] = [];
  let folders: string[];
  try {
    folders = [...Deno.readDirSync(root)].filter((e) => e.isDirectory).map((e) => e.name).sort();
  } catch {
    throw new Error(`${root}: not found; official_dir must hold <corruption>/<severity>/<wnid>/*.JPEG`);
  }
  for (const wnid of folders) {
    const label = classOf.get(wnid);
    if (label === undefined) {
      throw new Error(`${join(root, wnid)}: class '${wnid}' is not among the dataset's classes`);
    }
    const names = [...Deno.readDirSync(join(root, wnid))].filter((e) => e.isFile && /\.jpe?g$/i.test(e.name))
      .map((e) => e.name).sort();
    for (const name of names) files.push({ path: join(root, wnid, name), label });
  }
  const bytes = side * side * 3;
  const images = new Uint8Array(files.length * bytes);
  const labels = new Uint8Array(files.length);
  for (let k = 0; k < files.length; k++) {
    const decoded = jpeg.decode(await Deno.readFile(files[k].path), { useTArray: true, formatAsRGBA: false });
    if (decoded.width !== side || decoded.height !== side || decoded.data.length !== bytes) {
      throw new Error(`${files[k].path}: ${decoded.width}x${decoded.height}, expected ${side}x${side} RGB`);
    }
    images.set(decoded.data, k * bytes);
    labels[k] = files[k].label;
  }
  return { images, labels, n: files.length, shape: [side, side, 3] };
}
