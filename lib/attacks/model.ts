/**
 * The attacked function and its input gradient. Attacks see a model only as a {@link LogitsFn}: a batch of
 * NHWC images in [0, 1] in, logits out, in inference mode (batch norm with running statistics; docs/method.md
 * §9.1). Input gradients come from `tf.grad` of the summed per-sample cross-entropy; in inference mode the
 * samples of a batch are independent, so row i of the gradient is the gradient of sample i's own loss.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";

/** A classifier as attacks see it: [B, H, W, C] pixels in [0, 1] → [B, K] logits (not probabilities). */
export type LogitsFn = (x: tf.Tensor4D) => tf.Tensor2D;

/**
 * The inference-mode logits of a layers model (`model.apply(x, {training: false})`), the same function as
 * `model.predict` but usable under `tf.grad`.
 *
 * @example
 * const f = inferenceLogits(await loadModel("outputs/models/a0-s1"));
 * const logits = f(x); // [B, 10]
 */
export function inferenceLogits(model: tfl.LayersModel): LogitsFn {
  if (model.outputs.length !== 1) {
    throw new Error(
      `inferenceLogits: model '${model.name}' has ${model.outputs.length} outputs, expected 1 (logits)`,
    );
  }
  return (x) => model.apply(x, { training: false }) as tf.Tensor2D;
}

/** Per-sample cross-entropy [B] of `logits` [B, K] against integer `labels` [B]. */
export function perSampleCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const k = logits.shape[1];
    const logp = tf.logSoftmax(logits);
    return tf.neg(tf.sum(tf.mul(logp, tf.oneHot(labels, k)), 1)) as tf.Tensor1D;
  });
}

/** What {@link lossGradient} returns; the caller disposes all three. */
export interface LossGradient {
  /** ∇ₓ CE(f(x), y), same shape as x. */
  grad: tf.Tensor4D;
  /** f(x), from the same forward pass. */
  logits: tf.Tensor2D;
  /** Per-sample cross-entropy [B]. */
  loss: tf.Tensor1D;
}

/**
 * The input gradient of the per-sample cross-entropy at `x`, with the logits and losses of the same forward
 * pass (so an attack learns whether its current iterate is misclassified without another forward pass).
 *
 * @example
 * const { grad, logits, loss } = lossGradient(f, x, labels);
 */
export function lossGradient(f: LogitsFn, x: tf.Tensor4D, labels: tf.Tensor1D): LossGradient {
  let logits: tf.Tensor2D | null = null;
  let loss: tf.Tensor1D | null = null;
  const grad = tf.grad((xi: tf.Tensor) => {
    const z = f(xi as tf.Tensor4D);
    const l = perSampleCrossEntropy(z, labels);
    logits = tf.keep(z);
    loss = tf.keep(l);
    return tf.sum(l);
  })(x) as tf.Tensor4D;
  return { grad, logits: logits!, loss: loss! };
}

/** Boolean [B]: argmax of `logits` differs from `labels`. */
export function misclassified(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => tf.notEqual(tf.argMax(logits, 1), tf.cast(labels, "int32")) as tf.Tensor1D);
}
