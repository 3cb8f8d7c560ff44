/**
 * FGSM (Goodfellow et al., arXiv:1412.6572) and its L2 form FGM: one gradient step of size ε from the clean
 * image, x′ = clip(x + ε·sign(∇ₓ CE)) for L∞ or clip(x + ε·∇/‖∇‖₂) for L2 (docs/method.md §5.2). No random
 * start.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { type LogitsFn, lossGradient } from "./model.ts";
import { type Norm, project, steepestDirection } from "./norms.ts";

/**
 * Adversarial examples for the batch `x` (pixels in [0, 1]) with integer labels `labels`; the caller disposes
 * the result. `eps` is in pixel units (8/255, not 8).
 *
 * @example
 * const xAdv = fgsm(inferenceLogits(model), x, labels, { eps: 8 / 255, norm: "linf" });
 */
export function fgsm(
  f: LogitsFn,
  x: tf.Tensor4D,
  labels: tf.Tensor1D,
  options: { eps: number; norm: Norm },
): tf.Tensor4D {
  const { eps, norm } = options;
  if (!(eps >= 0)) throw new Error(`fgsm: eps must be ≥ 0, got ${eps}`);
  return tf.tidy(() => {
    const { grad, logits, loss } = lossGradient(f, x, labels);
    tf.dispose([logits, loss]); // kept by lossGradient, so this tidy would not free them
    return project(x, tf.add(x, tf.mul(steepestDirection(grad, norm), eps)) as tf.Tensor4D, eps, norm);
  });
}
