/**
 * PGD as adversarial training uses it (Madry et al., arXiv:1706.06083; docs/method.md §8): from a seeded
 * random start in the L∞/L2 ball, every sample takes every one of `steps` steps x ← P(x + α·d(∇ₓ CE)) and the
 * last iterate is returned, the inner maximisation of the robust loss.
 *
 * It reuses the attack building blocks of lib/attacks but not their evaluation PGD (lib/attacks/pgd.ts),
 * which stops a sample at its first misclassified iterate and drops it from the batch: that answers "can the
 * sample be broken?", whereas training wants the loss-maximising point even where the network is already
 * wrong. Nothing is read back to the host until the caller reads the result, and the batch keeps its shape, so
 * a GPU runs the whole attack without waiting. A sample's random start is the one lib/attacks/pgd.ts draws for
 * its first restart (same seed, id and purpose).
 *
 * It lives with the training code, not in lib/attacks: that directory is a dep of every attack evaluation,
 * which this file does not change.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { type LogitsFn, lossGradient } from "../attacks/model.ts";
import { type Norm, project, steepestDirection } from "../attacks/norms.ts";
import { randomStart } from "../attacks/starts.ts";

/** Options of {@link pgdLastIterate}. */
export interface PgdTrainingOptions {
  eps: number;
  norm: Norm;
  /** Number of steps, ≥ 1. */
  steps: number;
  /** α, in the same units as eps. */
  stepSize: number;
  seed: number;
  /** Per-sample ids for the random starts (lib/attacks/starts.ts); default 0..B-1. */
  ids?: ArrayLike<number>;
}

/**
 * The last PGD iterate of every sample of `x` (labels `labels`), from a random start; the caller disposes it.
 *
 * @example
 * const eps = 4 / 255;
 * const xAdv = pgdLastIterate(f, x, labels, { eps, norm: "linf", steps: 5, stepSize: 2.5 * eps / 5, seed: 1 });
 */
export function pgdLastIterate(
  f: LogitsFn,
  x: tf.Tensor4D,
  labels: tf.Tensor1D,
  options: PgdTrainingOptions,
): tf.Tensor4D {
  const { eps, norm, steps, stepSize, seed } = options;
  if (!(eps >= 0)) throw new Error(`pgdLastIterate: eps must be ≥ 0, got ${eps}`);
  if (!(stepSize >= 0)) throw new Error(`pgdLastIterate: stepSize must be ≥ 0, got ${stepSize}`);
  if (!Number.isInteger(steps) || steps < 1) {
    throw new Error(`pgdLastIterate: steps must be an integer ≥ 1, got ${steps}`);
  }
  const ids = options.ids ?? Array.from({ length: x.shape[0] }, (_, i) => i);
  let xk = tf.tidy(() =>
    project(
      x,
      randomStart(x, eps, norm, "ball", { seed, ids, restart: 0, purpose: `pgd-${norm}` }),
      eps,
      norm,
    )
  );
  for (let k = 0; k < steps; k++) {
    const { grad, logits, loss } = lossGradient(f, xk, labels);
    const next = tf.tidy(() =>
      project(x, tf.add(xk, tf.mul(steepestDirection(grad, norm), stepSize)) as tf.Tensor4D, eps, norm)
    );
    tf.dispose([grad, logits, loss, xk]);
    xk = next;
  }
  return xk;
}
