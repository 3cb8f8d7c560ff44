/**
 * Projected gradient descent (Madry et al., arXiv:1706.06083) under L∞ or L2 (docs/method.md §5.2): from a
 * random start in the ε-ball, repeat x ← P(x + α·d(∇ₓ CE)), with d = sign for L∞ and g/‖g‖₂ for L2 and P the
 * projection of lib/attacks/norms.ts. With several restarts (each from a fresh seeded start), a sample counts
 * as broken if any restart breaks it; per sample the first misclassified iterate is returned (tracker.ts), else
 * the last iterate of the last restart. Restarts stop early once every sample is broken.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { type LogitsFn, lossGradient } from "./model.ts";
import { type Norm, project, steepestDirection } from "./norms.ts";
import { randomStart } from "./starts.ts";
import { AdversarialTracker } from "./tracker.ts";

/** Options of {@link pgd}. */
export interface PgdOptions {
  eps: number;
  norm: Norm;
  steps: number;
  /** α, in the same units as eps; the project default is 2.5·ε/steps (docs/method.md §5). */
  stepSize: number;
  /** Start from a seeded uniform point of the ball (true) or from x (false). */
  randomStart: boolean;
  /** Number of runs, ≥ 1; more than 1 needs randomStart. */
  restarts: number;
  seed: number;
  /** Per-sample ids for the random starts (lib/attacks/starts.ts); default 0..B-1. */
  ids?: ArrayLike<number>;
}

function checkOptions(o: PgdOptions): void {
  const bad = (msg: string) => {
    throw new Error(`pgd: ${msg}`);
  };
  if (!(o.eps >= 0)) bad(`eps must be ≥ 0, got ${o.eps}`);
  if (!(o.stepSize >= 0)) bad(`stepSize must be ≥ 0, got ${o.stepSize}`);
  if (!Number.isInteger(o.steps) || o.steps < 1) bad(`steps must be an integer ≥ 1, got ${o.steps}`);
  if (!Number.isInteger(o.restarts) || o.restarts < 1) {
    bad(`restarts must be an integer ≥ 1, got ${o.restarts}`);
  }
  if (o.restarts > 1 && !o.randomStart) {
    bad("restarts > 1 need randomStart (without it every run is the same)");
  }
}

/**
 * Adversarial examples for the batch `x` with integer `labels`; the caller disposes the result.
 *
 * @example
 * const eps = 8 / 255;
 * const xAdv = await pgd(f, x, labels, { eps, norm: "linf", steps: 20, stepSize: 2.5 * eps / 20,
 *   randomStart: true, restarts: 1, seed: 0 });
 */
export async function pgd(
  f: LogitsFn,
  x: tf.Tensor4D,
  labels: tf.Tensor1D,
  options: PgdOptions,
): Promise<tf.Tensor4D> {
  checkOptions(options);
  const { eps, norm, steps, stepSize, seed } = options;
  const ids = options.ids ?? Array.from({ length: x.shape[0] }, (_, i) => i);
  const tracker = new AdversarialTracker(x);
  let xk: tf.Tensor4D | null = null;
  try {
    for (let r = 0; r < options.restarts; r++) {
      xk?.dispose();
      xk = options.randomStart
        ? tf.tidy(() =>
          project(
            x,
            randomStart(x, eps, norm, "ball", { seed, ids, restart: r, purpose: `pgd-${norm}` }),
            eps,
            norm,
          )
        )
        : tf.clone(x);
      for (let k = 0; k < steps; k++) {
        const { grad, logits, loss } = lossGradient(f, xk, labels);
        tracker.update(xk, logits, labels);
        const next: tf.Tensor4D = tf.tidy(() =>
          project(x, tf.add(xk!, tf.mul(steepestDirection(grad, norm), stepSize)) as tf.Tensor4D, eps, norm)
        );
        tf.dispose([grad, logits, loss, xk]);
        xk = next;
      }
      const logits = tf.tidy(() => f(xk!));
      tracker.update(xk, logits, labels);
      logits.dispose();
      if (r + 1 < options.restarts && await tracker.allFound()) break;
    }
    return tracker.result(xk!);
  } finally {
    xk?.dispose();
    tracker.dispose();
  }
}
