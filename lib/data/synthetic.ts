/**
 * A small seeded synthetic image dataset for tests and smoke runs: each class is a sinusoidal grating with its
 * own orientation and frequency; every image gets a random phase, a random contrast and Gaussian pixel noise.
 * A small CNN learns it in a few epochs; a linear model on raw pixels does poorly because of the random phase.
 *
 * @module
 */
import { Rng } from "../random.ts";
import { type Dataset, type ImageShape, imageSize } from "./dataset.ts";

/** What to generate. */
export interface SyntheticOptions {
  /** Number of images. */
  n: number;
  /** Number of classes (2..256); labels are balanced (counts differ by at most one). */
  classes: number;
  shape: ImageShape;
  seed: number;
  /** Standard deviation of the per-pixel Gaussian noise, in pixel units (0..255). Default 16. */
  noise?: number;
}

/**
 * A seeded synthetic dataset. Class k is a grating at angle π·k/K with 2 + (k mod 2) cycles across the image.
 *
 * @example
 * ```ts
 * const train = makeSynthetic({ n: 512, classes: 4, shape: [16, 16, 1], seed: 0 });
 * ```
 */
export function makeSynthetic(opts: SyntheticOptions): Dataset {
  const { n, classes: k, shape, seed, noise = 16 } = opts;
  if (!Number.isInteger(n) || n < 1) throw new Error(`makeSynthetic: n must be a positive integer, got ${n}`);
  if (!Number.isInteger(k) || k < 2 || k > 256) {
    throw new Error(`makeSynthetic: classes must be an integer in 2..256, got ${k}`);
  }
  const [h, w, c] = shape;
  const rng = new Rng(seed);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) labels[i] = i % k;
  rng.shuffle(labels);
  const size = imageSize(shape);
  const images = new Uint8Array(n * size);
  for (let i = 0; i < n; i++) {
    const cls = labels[i];
    const angle = (Math.PI * cls) / k;
    const cycles = 2 + (cls % 2);
    const fx = (2 * Math.PI * cycles * Math.cos(angle)) / w;
    const fy = (2 * Math.PI * cycles * Math.sin(angle)) / h;
    const phase = 2 * Math.PI * rng.uniform();
    const contrast = 40 + 40 * rng.uniform();
    let o = i * size;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const base = 128 + contrast * Math.sin(fx * x + fy * y + phase);
        for (let ch = 0; ch < c; ch++) {
          images[o++] = Math.min(255, Math.max(0, Math.round(base + rng.normal(0, noise))));
        }
      }
    }
  }
  const classes = Array.from({ length: k }, (_, j) => `grating-${j}`);
  return { images, labels, shape, classes };
}
