/**
 * Runs a set of attacks at a set of radii over a labelled image set, batch by batch, and records per sample
 * whether it stays correct, with the perturbation statistics of every (attack, ε) for the sanity checks.
 * Pixels are uint8 on input and float32 [0, 1] (x/255) during the attack; accuracy is measured on the float
 * adversarial images, not re-quantised to uint8.
 *
 * @module
 */
import { imageTensor } from "../data/pixels.ts";
import * as tf from "@tensorflow/tfjs-core";
import { mergeStats, type PerturbationStats, perturbationStatsOf, queuePerturbationStats } from "./checks.ts";
import type { LogitsFn } from "./model.ts";
import { type AttackName, type AttackSettings, parseAttackName, runAttack } from "./registry.ts";

/** Images to attack: uint8 NHWC pixels of the samples in `indices` (rows of `images`). */
export interface AttackSet {
  images: Uint8Array;
  labels: Uint8Array;
  shape: [number, number, number];
  /** Rows to evaluate, in order; they also seed the random starts. */
  indices: ArrayLike<number>;
}

/** One attack run over all samples at one ε. */
export interface AttackOutcome {
  attack: AttackName;
  eps: number;
  /** 1 where the sample is correct clean and under the attack. */
  robust: Uint8Array;
  stats: PerturbationStats;
  /**
   * Wall time of the attack over all batches; on webgpu, where the attack's reads are not waited for
   * (device_tracker.ts), the time to queue its iterations.
   */
  seconds: number;
}

/** Adversarial examples of the first samples, at the largest ε of each attack. */
export interface ExampleImages {
  /** Rows of the attack set (its `indices` values). */
  ids: number[];
  labels: number[];
  clean: { pixels: Float32Array; predictions: number[] };
  attacks: { attack: AttackName; eps: number; pixels: Float32Array; predictions: number[] }[];
}

/** What {@link evaluateAttacks} returns. */
export interface AttackEvaluation {
  /** 1 where the clean image is classified correctly. */
  clean: Uint8Array;
  outcomes: AttackOutcome[];
  examples: ExampleImages;
}

/** Options of {@link evaluateAttacks}. */
export interface EvaluateAttacksOptions {
  attacks: AttackName[];
  /** Radii per norm, pixel units. */
  eps: { linf: number[]; l2: number[] };
  settings: AttackSettings;
  batchSize: number;
  /** How many of the first samples to keep as example images. */
  examples: number;
  /** Called after each batch. */
  onBatch?(done: number, total: number): void;
  /** Called after each attack run on each batch: `done` of `total` (batches × attacks × ε) and what ran. */
  onRun?: (done: number, total: number, run: { attack: AttackName; eps: number }) => void;
}

function floatBatch(set: AttackSet, rows: ArrayLike<number>): tf.Tensor4D {
  return imageTensor(set.images, set.shape, rows);
}

/** Per-sample correctness and predictions `p` against `labels`. */
function maskOf(p: Int32Array, labels: ArrayLike<number>): { correct: Uint8Array; predictions: Int32Array } {
  return { correct: Uint8Array.from(p, (v, i) => (v === labels[i] ? 1 : 0)), predictions: p };
}

/** Per-sample correctness and predictions of `f` on `x`: one read from the device (`labels` are on the CPU). */
async function correctMask(f: LogitsFn, x: tf.Tensor4D, labels: ArrayLike<number>): Promise<{
  correct: Uint8Array;
  predictions: Int32Array;
}> {
  const pred = tf.tidy(() => tf.argMax(f(x), 1));
  const p = await pred.data() as Int32Array;
  pred.dispose();
  return maskOf(p, labels);
}

/**
 * Attacks every sample of `set` with every attack at every ε of its norm (the grid order of `options.eps`).
 *
 * @example
 * const result = await evaluateAttacks(inferenceLogits(model), set, {
 *   attacks: ["fgsm-linf", "pgd-linf"], eps: { linf: [0, 2 / 255, 8 / 255], l2: [] },
 *   settings, batchSize: 250, examples: 8,
 * });
 */
export async function evaluateAttacks(
  f: LogitsFn,
  set: AttackSet,
  options: EvaluateAttacksOptions,
): Promise<AttackEvaluation> {
  const n = set.indices.length;
  const size = set.shape[0] * set.shape[1] * set.shape[2];
  const runs = options.attacks.flatMap((attack) =>
    options.eps[parseAttackName(attack).norm].map((eps) => ({ attack, eps }))
  );
  const clean = new Uint8Array(n);
  const robust = runs.map(() => new Uint8Array(n));
  const stats: (PerturbationStats | null)[] = runs.map(() => null);
  const seconds = runs.map(() => 0);
  const keep = Math.min(options.examples, n);
  const ids = Array.from({ length: keep }, (_, i) => set.indices[i]);
  const examples: ExampleImages = {
    ids,
    labels: ids.map((r) => set.labels[r]),
    clean: { pixels: new Float32Array(keep * size), predictions: [] },
    attacks: [],
  };
  const largest = options.attacks.map((attack) => {
    const grid = options.eps[parseAttackName(attack).norm];
    return {
      attack,
      eps: Math.max(...grid),
      pixels: new Float32Array(keep * size),
      predictions: [] as number[],
    };
  });
  for (let start = 0; start < n; start += options.batchSize) {
    const rows = Array.from(
      { length: Math.min(options.batchSize, n - start) },
      (_, i) => set.indices[start + i],
    );
    const x = floatBatch(set, rows);
    const y = rows.map((r) => set.labels[r]);
    const labels = tf.tensor1d(y, "int32");
    const take = Math.max(0, Math.min(keep - start, rows.length));
    try {
      // Reads from the device are started together and awaited once: on webgpu each wait costs ≥ 10 ms.
      const [c, cleanPixels] = await Promise.all([correctMask(f, x, y), take > 0 ? x.data() : null]);
      clean.set(c.correct, start);
      if (cleanPixels) {
        examples.clean.pixels.set(cleanPixels.subarray(0, take * size), start * size);
        examples.clean.predictions.push(...c.predictions.subarray(0, take));
      }
      // Each run's predictions, perturbation stats and example pixels stay on the device until every run of the
      // batch is queued, then one read takes them all: on webgpu a read waits for the GPU to finish what is
      // queued, then 10 ms more.
      const queued: {
        r: number;
        predicted: tf.Tensor;
        stats: tf.Tensor;
        /** The adversarial batch, kept for the example grid of `example`. */
        pixels: { example: (typeof largest)[number]; xAdv: tf.Tensor4D } | null;
      }[] = [];
      try {
        for (let r = 0; r < runs.length; r++) {
          const { attack, eps } = runs[r];
          const t0 = performance.now();
          const xAdv = await runAttack(attack, f, x, labels, eps, options.settings, rows);
          const ex = largest.find((l) => l.attack === attack && l.eps === eps);
          const wantPixels = ex !== undefined && take > 0 && ex.predictions.length < keep;
          queued.push({
            r,
            predicted: tf.tidy(() => tf.argMax(f(xAdv), 1)),
            stats: queuePerturbationStats(x, xAdv, parseAttackName(attack).norm),
            pixels: wantPixels ? { example: ex!, xAdv } : null,
          });
          if (!wantPixels) xAdv.dispose();
          seconds[r] += (performance.now() - t0) / 1000;
          options.onRun?.(
            Math.floor(start / options.batchSize) * runs.length + r + 1,
            Math.ceil(n / options.batchSize) * runs.length,
            runs[r],
          );
        }
        const values = await Promise.all(
          queued.map((q) => Promise.all([q.predicted.data(), q.stats.data(), q.pixels?.xAdv.data() ?? null])),
        );
        for (const [k, { r, pixels: kept }] of queued.entries()) {
          const [p, t, pixels] = values[k];
          const a = maskOf(p as Int32Array, y);
          for (let i = 0; i < rows.length; i++) robust[r][start + i] = c.correct[i] & a.correct[i];
          const s = perturbationStatsOf(t as Float32Array, rows.length);
          stats[r] = stats[r] ? mergeStats(stats[r]!, s) : s;
          if (kept && pixels) {
            kept.example.pixels.set(pixels.subarray(0, take * size), start * size);
            kept.example.predictions.push(...a.predictions.subarray(0, take));
          }
        }
      } finally {
        for (const q of queued) tf.dispose([q.predicted, q.stats, ...(q.pixels ? [q.pixels.xAdv] : [])]);
      }
    } finally {
      tf.dispose([x, labels]);
    }
    options.onBatch?.(start + rows.length, n);
  }
  examples.attacks = largest;
  return {
    clean,
    outcomes: runs.map((run, r) => ({ ...run, robust: robust[r], stats: stats[r]!, seconds: seconds[r] })),
    examples,
  };
}
