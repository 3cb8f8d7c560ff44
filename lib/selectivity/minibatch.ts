/**
 * Differentiable class selectivity of one training minibatch and the regularised loss
 * `L = CE − α·μ_SI` (docs/method.md §2). Everything is tfjs ops, usable inside `tf.variableGrads` or
 * `optimizer.minimize`; gradients flow through the class means into the activations.
 *
 * - Class means: M = (Yᵀ·A) / counts with one-hot labels Y [B, C] and unit activations A [B, U].
 * - Absent classes (no sample in the batch) are masked out: their mean row is 0, which cannot change the max
 *   (activations are ≥ 0), and they are left out of the mean of the other classes (divisor C′ − 1).
 * - A group whose batch holds fewer than two classes contributes SI = 0 (and no gradient).
 * - `tf.max` passes the gradient to the arg-max class mean (to all of them on exact ties).
 * - Caveat: a unit that is nearly silent in a batch (μ_max + μ_rest ≪ 1) has a large SI gradient (up to 1/ε
 *   w.r.t. its activations); an exactly dead post-ReLU unit still gets none, because the ReLU blocks it.
 */
import * as tf from "@tensorflow/tfjs-core";
import { DEFAULT_SI_EPSILON } from "./si.ts";

/** Unit activations [B, U]: the spatial mean of a [B, H, W, U] feature map; a [B, U] tensor is returned as is. */
export function unitActivations(activation: tf.Tensor): tf.Tensor2D {
  if (activation.rank === 4) {
    // Mean over one middle axis of a [B, H·W, U] view: about 2.5× faster (forward + backward, wasm) than
    // reducing axes [1, 2], which transposes the whole feature map.
    const [b, h, w, u] = activation.shape;
    return tf.tidy(() => tf.mean(tf.reshape(activation, [b, h * w, u]), 1) as tf.Tensor2D);
  }
  if (activation.rank === 2) return activation as tf.Tensor2D;
  throw new Error(`selectivity activations must be [B, H, W, U] or [B, U], got shape [${activation.shape}]`);
}

/** Options of {@link minibatchGroupSelectivity} and {@link minibatchSelectivity}. */
export interface MinibatchSelectivityOptions {
  numClasses: number;
  /** ε of the index; default 1e-7 (`si.epsilon`). */
  epsilon?: number;
  /**
   * Averaging groups as lists of indices into `activations`; the units of a group are pooled (`stage`
   * grouping). Default: every layer is its own group (`block` grouping).
   */
  groups?: number[][];
}

/**
 * Mean SI of each group over the current minibatch, shape [G].
 * `labels`: int32 class indices in [0, numClasses), shape [B].
 */
export function minibatchGroupSelectivity(
  activations: tf.Tensor[],
  labels: tf.Tensor1D,
  options: MinibatchSelectivityOptions,
): tf.Tensor1D {
  const epsilon = options.epsilon ?? DEFAULT_SI_EPSILON;
  const groups = options.groups ?? activations.map((_, i) => [i]);
  if (groups.length === 0) throw new Error("minibatch selectivity needs at least one layer");
  for (const g of groups) {
    if (g.length === 0 || g.some((i) => !(i >= 0 && i < activations.length))) {
      throw new Error(
        `selectivity group [${g}] must list indices into the ${activations.length} activations`,
      );
    }
  }
  return tf.tidy(() => {
    const onehot = tf.cast(tf.oneHot(labels, options.numClasses), "float32"); // [B, C]
    const counts = tf.sum(onehot, 0); // [C]
    const present = tf.sum(tf.cast(tf.greater(counts, 0), "float32"));
    const restDivisor = tf.maximum(tf.sub(present, 1), 1);
    const defined = tf.cast(tf.greaterEqual(present, 2), "float32");
    const perClassScale = tf.reshape(tf.div(1, tf.maximum(counts, 1)), [-1, 1]); // [C, 1]; absent rows stay 0
    const units = activations.map(unitActivations);
    const perGroup = groups.map((g) => {
      const a = g.length === 1 ? units[g[0]] : tf.concat(g.map((i) => units[i]), 1); // [B, U]
      const means = tf.mul(tf.matMul(onehot, a, true, false), perClassScale); // [C, U]
      const max = tf.max(means, 0);
      const rest = tf.div(tf.sub(tf.sum(means, 0), max), restDivisor);
      const si = tf.div(tf.sub(max, rest), tf.add(tf.add(max, rest), epsilon));
      return tf.mul(tf.mean(si), defined);
    });
    return tf.stack(perGroup) as tf.Tensor1D;
  });
}

/** Network mean selectivity μ_SI of the minibatch: the mean over groups of {@link minibatchGroupSelectivity}. */
export function minibatchSelectivity(
  activations: tf.Tensor[],
  labels: tf.Tensor1D,
  options: MinibatchSelectivityOptions,
): tf.Scalar {
  return tf.tidy(() => tf.mean(minibatchGroupSelectivity(activations, labels, options)) as tf.Scalar);
}

/** The terms of {@link regularizedLoss}, all scalars. */
export interface RegularizedLoss {
  /** CE − α·μ_SI: the value to minimise. */
  loss: tf.Scalar;
  crossEntropy: tf.Scalar;
  meanSI: tf.Scalar;
}

/**
 * `CE(labels, logits) − α·μ_SI(activations)` on one minibatch (α > 0 encourages selectivity, α < 0 discourages
 * it, docs/method.md §2.1). Return `loss` from the `tf.variableGrads` closure; to log the other terms, `tf.keep`
 * them inside the closure (and dispose them later), otherwise the closure's scope disposes them.
 *
 * @example
 * const { value, grads } = tf.variableGrads(() => {
 *   const [logits, ...acts] = tap.apply(x, { training: true }) as tf.Tensor[];
 *   const terms = regularizedLoss(logits, acts, labels, { alpha: 0.3, numClasses: 10 });
 *   kept = [tf.keep(terms.crossEntropy), tf.keep(terms.meanSI)];
 *   return terms.loss;
 * });
 */
export function regularizedLoss(
  logits: tf.Tensor,
  activations: tf.Tensor[],
  labels: tf.Tensor1D,
  options: MinibatchSelectivityOptions & { alpha: number },
): RegularizedLoss {
  const crossEntropy = tf.tidy(() =>
    tf.losses.softmaxCrossEntropy(tf.oneHot(labels, options.numClasses), logits) as tf.Scalar
  );
  const meanSI = minibatchSelectivity(activations, labels, options);
  // At α = 0 the loss does not depend on μ_SI, so backpropagation skips the regulariser's graph.
  const loss = options.alpha === 0
    ? crossEntropy
    : tf.sub(crossEntropy, tf.mul(options.alpha, meanSI)) as tf.Scalar;
  return { loss, crossEntropy, meanSI };
}
