/**
 * Robustness-training methods (docs/method.md §8), applied to each training minibatch before the SGD step:
 * - `standard`: the batch as is;
 * - `noise`: Gaussian-noise augmentation, x + N(0, σ²) per pixel, clipped to [0, 1];
 * - `augmix`: an AugMix-style mix (Hendrycks et al. 2020, without the consistency loss): `width` chains of 1 to
 *   `depth` operations, mixed with Dirichlet(1, …, 1) weights and blended with the image by a Uniform(0, 1) =
 *   Beta(1, 1) weight. The operations (autocontrast, equalize, posterize, solarize, rotate, shear, translate)
 *   exclude every corruption the evaluation uses (docs/method.md §4.3);
 * - `pgd`: PGD adversarial training (Madry et al. 2018): the batch replaced by L∞ PGD examples against the
 *   current weights in inference mode, from a random start, `steps` steps of size `stepFactor`·ε/steps; every
 *   sample takes every step and its last iterate is trained on (adversarial_examples.ts).
 *
 * Randomness: each batch's draws come from `deriveSeed(seed, "method", epoch, batch)`, so a resumed run
 * repeats them.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { inferenceLogits } from "../attacks/model.ts";
import { pgdLastIterate } from "./adversarial_examples.ts";
import { deriveSeed, Rng } from "../random.ts";
import type { Batch, DeviceBatch } from "../data/batches.ts";

/** A training method and its parameters. */
export type TrainMethod =
  | { kind: "standard" }
  | { kind: "noise"; sigma: number }
  | { kind: "augmix"; width: number; depth: number; severity: number }
  | { kind: "pgd"; epsLinf255: number; steps: number; stepFactor: number };

/** Where in training a batch is (seeds its draws). */
export interface BatchPosition {
  seed: number;
  epoch: number;
  batch: number;
}

/** An image operation on one HWC float image in [0, 1] at strength `level` ∈ (0, 1]. */
type Op = (img: Float32Array, h: number, w: number, c: number, level: number, rng: Rng) => Float32Array;

function perChannel(
  img: Float32Array,
  c: number,
  f: (values: number[], ch: number) => (v: number) => number,
) {
  const out = new Float32Array(img.length);
  for (let ch = 0; ch < c; ch++) {
    const values: number[] = [];
    for (let i = ch; i < img.length; i += c) values.push(img[i]);
    const map = f(values, ch);
    for (let i = ch; i < img.length; i += c) out[i] = map(img[i]);
  }
  return out;
}

/** Samples `img` at the inverse affine map (row, col) → (a·r + b·c + tr, d·r + e·c + tc), nearest, 0 outside. */
function affine(img: Float32Array, h: number, w: number, c: number, m: number[]): Float32Array {
  const out = new Float32Array(img.length);
  const cy = (h - 1) / 2, cx = (w - 1) / 2;
  for (let r = 0; r < h; r++) {
    for (let q = 0; q < w; q++) {
      const y = r - cy, x = q - cx;
      const sr = Math.round(m[0] * y + m[1] * x + m[2] + cy),
        sc = Math.round(m[3] * y + m[4] * x + m[5] + cx);
      if (sr < 0 || sr >= h || sc < 0 || sc >= w) continue;
      for (let ch = 0; ch < c; ch++) out[(r * w + q) * c + ch] = img[(sr * w + sc) * c + ch];
    }
  }
  return out;
}

const sign = (rng: Rng) => (rng.uniform() < 0.5 ? -1 : 1);

/** The AugMix-style operations, none of which is one of the evaluation corruptions. */
export const AUGMIX_OPS: Readonly<Record<string, Op>> = {
  autocontrast: (img, _h, _w, c) =>
    perChannel(img, c, (v) => {
      const lo = Math.min(...v), hi = Math.max(...v);
      return hi > lo ? (x) => (x - lo) / (hi - lo) : (x) => x;
    }),
  equalize: (img, _h, _w, c) =>
    perChannel(img, c, (v) => {
      const hist = new Array(256).fill(0);
      for (const x of v) hist[Math.min(255, Math.floor(x * 256))]++;
      const cdf: number[] = [];
      hist.reduce((s, k, i) => (cdf[i] = s + k), 0);
      const first = cdf.find((k) => k > 0) ?? 0;
      const span = v.length - first;
      return span > 0 ? (x) => (cdf[Math.min(255, Math.floor(x * 256))] - first) / span : (x) => x;
    }),
  posterize: (img, _h, _w, _c, level) => {
    const levels = 2 ** Math.max(1, 4 - Math.round(level * 3));
    return img.map((x) => Math.floor(x * levels) / levels);
  },
  solarize: (img, _h, _w, _c, level) => {
    const t = 1 - level;
    return img.map((x) => (x >= t ? 1 - x : x));
  },
  rotate: (img, h, w, c, level, rng) => {
    const a = sign(rng) * level * (30 * Math.PI / 180);
    return affine(img, h, w, c, [Math.cos(a), -Math.sin(a), 0, Math.sin(a), Math.cos(a), 0]);
  },
  shear: (img, h, w, c, level, rng) => affine(img, h, w, c, [1, 0, 0, sign(rng) * 0.3 * level, 1, 0]),
  translate: (img, h, w, c, level, rng) =>
    affine(img, h, w, c, [1, 0, sign(rng) * level * h / 3, 0, 1, sign(rng) * level * w / 3]),
};

const OP_NAMES = Object.keys(AUGMIX_OPS);

/**
 * The AugMix-style mix of one image (see the module doc); `severity` ∈ [1, 10] scales the operations.
 *
 * @example
 * ```ts
 * const mixed = augmixImage(img, 28, 28, 1, { width: 3, depth: 3, severity: 3 }, new Rng(0));
 * ```
 */
export function augmixImage(
  img: Float32Array,
  h: number,
  w: number,
  c: number,
  p: { width: number; depth: number; severity: number },
  rng: Rng,
): Float32Array {
  const weights = Array.from({ length: p.width }, () => -Math.log(1 - rng.uniform()));
  const total = weights.reduce((s, v) => s + v, 0);
  const mix = new Float32Array(img.length);
  for (let k = 0; k < p.width; k++) {
    let chain = img;
    const depth = 1 + rng.int(p.depth);
    for (let d = 0; d < depth; d++) {
      const level = (0.1 + 0.9 * rng.uniform()) * p.severity / 10;
      chain = AUGMIX_OPS[OP_NAMES[rng.int(OP_NAMES.length)]](chain, h, w, c, level, rng);
    }
    for (let i = 0; i < mix.length; i++) mix[i] += (weights[k] / total) * chain[i];
  }
  const m = rng.uniform();
  return mix.map((v, i) => Math.min(1, Math.max(0, m * img[i] + (1 - m) * v)));
}

/**
 * The batch as `method` trains on it (a new batch; the input is not changed). `model` is needed by `pgd` only.
 * With `keepOnDevice`, `pgd`'s examples stay a tensor on the backend (a {@link DeviceBatch}, for a consumer
 * that takes one: step graphs) instead of being read back, which on webgpu waits for the GPU every batch.
 *
 * @example
 * ```ts
 * const trained = await applyMethod(batch, { kind: "noise", sigma: 0.1 }, { seed: 1, epoch: 0, batch: 3 });
 * ```
 */
export async function applyMethod(
  batch: Batch,
  method: TrainMethod,
  at: BatchPosition,
  model?: tfl.LayersModel,
): Promise<Batch>;
export async function applyMethod(
  batch: Batch,
  method: TrainMethod,
  at: BatchPosition,
  model: tfl.LayersModel | undefined,
  options: { keepOnDevice: boolean },
): Promise<Batch | DeviceBatch>;
export async function applyMethod(
  batch: Batch,
  method: TrainMethod,
  at: BatchPosition,
  model?: tfl.LayersModel,
  options: { keepOnDevice: boolean } = { keepOnDevice: false },
): Promise<Batch | DeviceBatch> {
  if (method.kind === "standard") return batch;
  const rng = new Rng(deriveSeed(at.seed, "method", at.epoch, at.batch));
  const [n, h, w, c] = batch.shape;
  const size = h * w * c;
  if (method.kind === "noise") {
    const x = batch.x.map((v) => Math.min(1, Math.max(0, v + method.sigma * rng.normal())));
    return { ...batch, x };
  }
  if (method.kind === "augmix") {
    const x = new Float32Array(batch.x.length);
    for (let i = 0; i < n; i++) {
      x.set(augmixImage(batch.x.subarray(i * size, (i + 1) * size), h, w, c, method, rng), i * size);
    }
    return { ...batch, x };
  }
  if (!model) throw new Error("applyMethod: pgd adversarial training needs the model");
  const eps = method.epsLinf255 / 255;
  const xs = tf.tensor4d(batch.x, batch.shape);
  const ys = tf.tensor1d(batch.labels, "int32");
  try {
    const adv = pgdLastIterate(inferenceLogits(model), xs, ys, {
      eps,
      norm: "linf",
      steps: method.steps,
      stepSize: method.stepFactor * eps / method.steps,
      seed: rng.nextUint32(),
    });
    if (options.keepOnDevice) return { ...batch, x: adv };
    const x = Float32Array.from(await adv.data());
    adv.dispose();
    return { ...batch, x };
  } finally {
    tf.dispose([xs, ys]);
  }
}
