/**
 * Inference-mode evaluation of a model on a prepared split: accuracy, mean cross-entropy and the network mean
 * class selectivity μ_SI over the whole split (per-class means accumulated over all batches, paper.md §1.3).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import type { PreparedSplit } from "../data/prepared.ts";
import { ClassMeanAccumulator } from "../selectivity/accumulate.ts";
import { type LayerGrouping, summarizeSelectivity } from "../selectivity/si.ts";
import { batchIndices, makeBatch } from "./batches.ts";

/** Options of {@link evaluateSplit}. */
export interface EvaluateOptions {
  numClasses: number;
  /** Names of the selectivity layers, in the order the tap model outputs them. */
  selectivityLayers: string[];
  batchSize: number;
  epsilon?: number;
  grouping?: LayerGrouping;
  /** Layer names by stage, for `stage` grouping. */
  stages?: string[][];
}

/** What {@link evaluateSplit} measures. */
export interface Evaluation {
  accuracy: number;
  loss: number;
  meanSI: number;
}

/** Thrown when a model's outputs on a split are NaN or infinite: its weights have diverged. */
export class NonFiniteOutputsError extends Error {
  constructor(readonly n: number) {
    super(
      `the network's outputs on ${n} evaluation images are NaN or infinite (logits or selectivity ` +
        `activations): its weights have diverged`,
    );
    this.name = "NonFiniteOutputsError";
  }
}

/**
 * Evaluates `tap` (a model returning `[logits, ...selectivity activations]`, see `withSelectivityOutputs`) on
 * every image of `split`, in order, without augmentation. Non-finite outputs throw {@link NonFiniteOutputsError}.
 *
 * @example
 * const { accuracy, meanSI } = await evaluateSplit(tap, data.val, { numClasses: 10, selectivityLayers, batchSize: 256 });
 */
export async function evaluateSplit(
  tap: tfl.LayersModel,
  split: PreparedSplit,
  options: EvaluateOptions,
): Promise<Evaluation> {
  if (split.n === 0) throw new Error("evaluateSplit: the split is empty");
  const acc = new ClassMeanAccumulator(options.selectivityLayers, options.numClasses);
  let correct = 0;
  let lossSum = 0;
  const all = Uint32Array.from({ length: split.n }, (_, i) => i);
  for (const indices of batchIndices(all, options.batchSize)) {
    const batch = makeBatch(split, indices);
    const outs = tf.tidy(() =>
      tap.apply(tf.tensor4d(batch.x, batch.shape), { training: false }) as tf.Tensor[]
    );
    const [logits, ...acts] = outs;
    const stats = tf.tidy(() => {
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
    });
    const [hits, ce] = await stats.data();
    correct += hits;
    lossSum += ce;
    await acc.add(batch.labels, acts);
    tf.dispose([...outs, stats]);
  }
  const means = acc.classMeans();
  const counts = acc.counts();
  const finiteMeans = Object.values(means).every((rows) =>
    rows.every((row, c) => counts[c] === 0 || row.every(Number.isFinite))
  );
  if (!Number.isFinite(lossSum) || !finiteMeans) throw new NonFiniteOutputsError(split.n);
  const summary = summarizeSelectivity(means, counts, {
    epsilon: options.epsilon,
    grouping: options.grouping,
    stages: options.stages,
  });
  return { accuracy: correct / split.n, loss: lossSum / split.n, meanSI: summary.networkMeanSI };
}
