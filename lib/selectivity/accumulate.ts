/**
 * One-pass accumulation of per-class mean unit activations over a whole dataset, batch by batch (for
 * `measure-selectivity`, docs/method.md §1.3): a running per-class sum (float64) and count for every unit.
 */
import * as tf from "@tensorflow/tfjs-core";
import { unitActivations } from "./minibatch.ts";

/** One batch's per-class sums, queued on the backend ({@link ClassMeanAccumulator.queue}). */
export interface QueuedBatchSums {
  labels: readonly number[];
  /** Per layer, [numClasses, U]; disposed by {@link ClassMeanAccumulator.addQueued}. */
  sums: tf.Tensor[];
}

/**
 * Accumulates per-class sums of unit activations for several layers.
 *
 * @example
 * const acc = new ClassMeanAccumulator(selectivityLayers, 10);
 * for (const { x, labels } of batches) {
 *   const [, ...acts] = tap.apply(x, { training: false }) as tf.Tensor[];
 *   await acc.add(labels, acts);
 *   tf.dispose(acts);
 * }
 * const summary = summarizeSelectivity(acc.classMeans(), acc.counts());
 */
export class ClassMeanAccumulator {
  readonly layerNames: string[];
  readonly numClasses: number;
  #sums: Float64Array[] | null = null;
  #numUnits: number[] = [];
  #counts: Float64Array;

  constructor(layerNames: string[], numClasses: number) {
    if (!Number.isInteger(numClasses) || numClasses < 1) {
      throw new Error(`numClasses must be ≥ 1, got ${numClasses}`);
    }
    this.layerNames = [...layerNames];
    this.numClasses = numClasses;
    this.#counts = new Float64Array(numClasses);
  }

  /**
   * Adds one batch: `labels[i]` ∈ [0, numClasses) and, per layer (in `layerNames` order), activations of shape
   * [B, H, W, U] (averaged over H, W) or [B, U]. Does not dispose the activations.
   */
  async add(labels: ArrayLike<number>, activations: tf.Tensor[]): Promise<void> {
    await this.addQueued([this.queue(labels, activations)]);
  }

  /**
   * One batch's per-class sums (as {@link add} takes it), computed on the backend and left unread, so that
   * several batches are read at once by {@link addQueued}: on webgpu every read waits for the GPU to finish
   * what is queued, then 10 ms more. The activations may be disposed once this returns.
   */
  queue(labels: ArrayLike<number>, activations: tf.Tensor[]): QueuedBatchSums {
    if (activations.length !== this.layerNames.length) {
      throw new Error(`expected activations of ${this.layerNames.length} layers, got ${activations.length}`);
    }
    for (let i = 0; i < labels.length; i++) {
      const c = labels[i];
      if (!Number.isInteger(c) || c < 0 || c >= this.numClasses) {
        throw new Error(`label ${c} at index ${i} is outside [0, ${this.numClasses})`);
      }
    }
    activations.forEach((a, l) => {
      if (a.shape[0] !== labels.length) {
        throw new Error(
          `layer '${this.layerNames[l]}' has batch ${a.shape[0]} but there are ${labels.length} labels`,
        );
      }
    });
    const sums = tf.tidy(() => {
      const onehot = tf.cast(tf.oneHot(tf.tensor1d(Array.from(labels), "int32"), this.numClasses), "float32");
      return activations.map((a) => tf.matMul(onehot, unitActivations(a), true, false));
    });
    return { labels: Array.from(labels), sums };
  }

  /** Reads the queued batches at once and adds them in their order (the same sums as {@link add} one by one). */
  async addQueued(batches: readonly QueuedBatchSums[]): Promise<void> {
    let data: tf.TypedArray[][];
    try {
      data = await Promise.all(batches.map((b) => Promise.all(b.sums.map((t) => t.data()))));
    } finally {
      for (const b of batches) tf.dispose(b.sums);
    }
    batches.forEach((batch, k) => {
      if (this.#sums === null) {
        this.#numUnits = batch.sums.map((t) => t.shape[1]!);
        this.#sums = this.#numUnits.map((u) => new Float64Array(this.numClasses * u));
      }
      data[k].forEach((d, l) => {
        if (batch.sums[l].shape[1] !== this.#numUnits[l]) {
          throw new Error(
            `layer '${this.layerNames[l]}' changed from ${this.#numUnits[l]} to ${
              batch.sums[l].shape[1]
            } units`,
          );
        }
        const sums = this.#sums![l];
        for (let i = 0; i < d.length; i++) sums[i] += d[i];
      });
      for (const c of batch.labels) this.#counts[c]++;
    });
  }

  /** Samples seen per class. */
  counts(): Float64Array {
    return this.#counts.slice();
  }

  /** Per-layer class means `[name][class][unit]`; rows of classes without samples are NaN. */
  classMeans(): Record<string, Float64Array[]> {
    if (this.#sums === null) throw new Error("ClassMeanAccumulator: no batch was added");
    const out: Record<string, Float64Array[]> = {};
    this.layerNames.forEach((name, l) => {
      const u = this.#numUnits[l];
      out[name] = Array.from(
        { length: this.numClasses },
        (_, c) => this.#sums![l].subarray(c * u, (c + 1) * u).map((s) => s / this.#counts[c]),
      );
    });
    return out;
  }
}
