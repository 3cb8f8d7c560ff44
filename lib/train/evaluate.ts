/**
 * Inference-mode evaluation of a model on a prepared split: accuracy, mean cross-entropy and the network mean
 * class selectivity μ_SI over the whole split (one lib/selectivity/pass.ts pass, docs/method.md §1.3).
 *
 * @module
 */
import type * as tfl from "@tensorflow/tfjs-layers";
import type { PreparedSplit } from "../data/prepared.ts";
import { selectivityPass } from "../selectivity/pass.ts";
import type { LayerGrouping } from "../selectivity/si.ts";

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
  const all = Uint32Array.from({ length: split.n }, (_, i) => i);
  const r = await selectivityPass(tap, split, all, { ...options, layers: options.selectivityLayers });
  if (r.summary === null) throw new NonFiniteOutputsError(split.n);
  return { accuracy: r.correct / split.n, loss: r.lossSum / split.n, meanSI: r.summary.networkMeanSI };
}
