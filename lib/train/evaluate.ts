/**
 * Inference-mode evaluation of a model on a prepared split: accuracy, mean cross-entropy and the network mean
 * class selectivity μ_SI over the whole split (per-class means accumulated over all batches, docs/method.md §1.3).
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

/**
 * Evaluates `tap` (a model returning `[logits, ...selectivity activations]`, see `withSelectivityOutputs`) on
 * every image of `split`, in order, without augmentation.
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
  const summary = summarizeSelectivity(acc.classMeans(), acc.counts(), {
    epsilon: options.epsilon,
    grouping: options.grouping,
    stages: options.stages,
  });
  return { accuracy: correct / split.n, loss: lossSum / split.n, meanSI: summary.networkMeanSI };
}
