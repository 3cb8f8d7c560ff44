/**
 * One inference-mode pass over labelled images that measures what both the training loop's evaluation and
 * `measure-selectivity` need: correct predictions, summed cross-entropy, and the class selectivity of every tap
 * from per-class means accumulated over all batches (docs/method.md §1.3).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import type { PreparedSplit } from "../data/prepared.ts";
import { batchIndices, makeBatch } from "../data/batches.ts";
import { ClassMeanAccumulator, type QueuedBatchSums } from "./accumulate.ts";
import { type LayerGrouping, type SelectivitySummary, summarizeSelectivity } from "./si.ts";

/** Options of {@link selectivityPass}. */
export interface SelectivityPassOptions {
  numClasses: number;
  /** Names of the taps, in the order the tap model outputs them after the logits. */
  layers: string[];
  batchSize: number;
  epsilon?: number;
  grouping?: LayerGrouping;
  /** Layer names by stage, for `stage` grouping. */
  stages?: string[][];
}

/** What {@link selectivityPass} measures over the images it saw. */
export interface SelectivityPass {
  images: number;
  correct: number;
  /** Sum over images of the cross-entropy of the logits. */
  lossSum: number;
  /**
   * Selectivity from the class means; null when the loss or a class mean of a present class is NaN or
   * infinite (diverged weights), for the caller to report in its own terms.
   */
  summary: SelectivitySummary | null;
  /** Images per class. */
  counts: Float64Array | number[];
}

/**
 * Runs `tap` (a model returning `[logits, ...tap activations]`, see `withSelectivityOutputs`) over `rows` of
 * `split` in order, without augmentation.
 *
 * @example
 * ```ts
 * const r = await selectivityPass(tap, data.test, allRows, { numClasses: 10, layers, batchSize: 256 });
 * r.correct / r.images; r.summary.networkMeanSI;
 * ```
 */
export async function selectivityPass(
  tap: tfl.LayersModel,
  split: PreparedSplit,
  rows: Uint32Array,
  options: SelectivityPassOptions,
): Promise<SelectivityPass> {
  if (rows.length === 0) throw new Error("selectivityPass: no images to measure");
  const acc = new ClassMeanAccumulator(options.layers, options.numClasses);
  let correct = 0;
  let lossSum = 0;
  // Every batch is queued before anything is read, and one read takes all their results (on webgpu each read
  // waits for the GPU to finish what is queued, then 10 ms more); they are summed in batch order.
  const stats: tf.Tensor[] = [];
  const sums: QueuedBatchSums[] = [];
  try {
    for (const indices of batchIndices(rows, options.batchSize)) {
      const batch = makeBatch(split, indices);
      const outs = tf.tidy(() =>
        tap.apply(tf.tensor4d(batch.x, batch.shape), { training: false }) as tf.Tensor[]
      );
      const [logits, ...acts] = outs;
      stats.push(tf.tidy(() => {
        const labels = tf.tensor1d(batch.labels, "int32");
        const hits = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), "float32"));
        const ce = tf.losses.softmaxCrossEntropy(
          tf.oneHot(labels, options.numClasses),
          logits,
          undefined,
          undefined,
          tf.Reduction.SUM,
        );
        return tf.stack([hits, ce]);
      }));
      try {
        sums.push(acc.queue(batch.labels, acts));
      } finally {
        tf.dispose(outs);
      }
    }
    const [values] = await Promise.all([Promise.all(stats.map((t) => t.data())), acc.addQueued(sums)]);
    for (const [hits, ce] of values) {
      correct += hits;
      lossSum += ce;
    }
  } finally {
    tf.dispose(stats);
    for (const b of sums) tf.dispose(b.sums);
  }
  const means = acc.classMeans();
  const counts = acc.counts();
  const finite = Number.isFinite(lossSum) &&
    Object.values(means).every((perClass) =>
      perClass.every((row, c) => counts[c] === 0 || Array.from(row).every(Number.isFinite))
    );
  const summary = finite
    ? summarizeSelectivity(means, counts, {
      epsilon: options.epsilon,
      grouping: options.grouping,
      stages: options.stages,
    })
    : null;
  return { images: rows.length, correct, lossSum, summary, counts };
}
