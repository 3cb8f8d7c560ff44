/**
 * Projected gradient descent (Madry et al., arXiv:1706.06083) under L∞ or L2 (docs/method.md §5.2): from a
 * random start in the ε-ball, repeat x ← P(x + α·d(∇ₓ CE)), with d = sign for L∞ and g/‖g‖₂ for L2 and P the
 * projection of lib/attacks/norms.ts. With several restarts (each from a fresh seeded start), a sample counts
 * as broken if any restart breaks it; per sample the first misclassified iterate is returned (tracker.ts), else
 * the last iterate of the last restart. A broken sample leaves the batch (tracker.ts), or on webgpu stays in it
 * with its result frozen (device_tracker.ts; tracking.ts chooses), its iterations then replayed as step graphs
 * (iteration_graph.ts); the attack stops once every sample is broken.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { type LogitsFn, lossGradient } from "./model.ts";
import { type Norm, project, steepestDirection } from "./norms.ts";
import { randomStart } from "./starts.ts";
import { gatherRows } from "./tracker.ts";
import { newTracker, type Tracking, trackingFor } from "./tracking.ts";
import { DeviceTracker } from "./device_tracker.ts";
import { IterationGraph, iterationGraphsFor, ownCopy, stateVariable } from "./iteration_graph.ts";

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
  /** The bookkeeping (tracking.ts); default: the one for the active backend. */
  tracking?: Tracking;
  /**
   * With device bookkeeping, run the iterations through step graphs (iteration_graph.ts); default: where the
   * backend can ({@link iterationGraphsFor}). The results are the same bits either way.
   */
  graphs?: boolean;
}

/** Restart `r`'s start: a seeded uniform point of the ε-ball around `x`, or `x` itself (a copy of its own). */
function pgdStart(x: tf.Tensor4D, o: PgdOptions, ids: ArrayLike<number>, r: number): tf.Tensor4D {
  if (!o.randomStart) return ownCopy(x);
  return tf.tidy(() =>
    project(
      x,
      randomStart(x, o.eps, o.norm, "ball", { seed: o.seed, ids, restart: r, purpose: `pgd-${o.norm}` }),
      o.eps,
      o.norm,
    )
  );
}

/** One step from `xk` with its input gradient: P(xk + α·d(∇)) in the ε-ball around `x`. */
function pgdStep(x: tf.Tensor4D, xk: tf.Tensor4D, grad: tf.Tensor4D, o: PgdOptions): tf.Tensor4D {
  return tf.tidy(() =>
    project(x, tf.add(xk, tf.mul(steepestDirection(grad, o.norm), o.stepSize)) as tf.Tensor4D, o.eps, o.norm)
  );
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
  const ids = Array.from(options.ids ?? Array.from({ length: x.shape[0] }, (_, i) => i));
  const tracking = options.tracking ?? trackingFor(tf.getBackend()).tracking;
  if (tracking === "device") return await pgdOnDevice(f, x, labels, options, ids);
  const { steps } = options;
  const tracker = newTracker(x, tracking);
  // The standing rows' clean images, labels and ids, and their current iterate (see tracker.ts).
  let rows = {
    x: tf.clone(x),
    labels: tf.clone(labels),
    ids,
  };
  let xk: tf.Tensor4D | null = null;
  const shrink = (keep: Int32Array) => {
    const next = {
      x: gatherRows(rows.x, keep),
      labels: gatherRows(rows.labels, keep),
      ids: Array.from(keep, (j) => rows.ids[j]),
    };
    const xkNext = gatherRows(xk!, keep);
    tf.dispose([rows.x, rows.labels, xk!]);
    rows = next;
    xk = xkNext;
  };
  try {
    for (let r = 0; r < options.restarts && !tracker.done; r++) {
      xk?.dispose();
      xk = pgdStart(rows.x, options, rows.ids, r);
      for (let k = 0; k <= steps && !tracker.done; k++) {
        // Step k's iterate is checked on the forward pass of its gradient; the last one on a forward pass alone.
        if (k === steps) {
          const logits = tf.tidy(() => f(xk!));
          const keep = await tracker.record(xk, logits, rows.labels);
          logits.dispose();
          if (keep && !tracker.done) shrink(keep);
          break;
        }
        const { grad, logits, loss } = lossGradient(f, xk, rows.labels);
        const next = pgdStep(rows.x, xk, grad, options);
        const keep = await tracker.record(xk, logits, rows.labels);
        tf.dispose([grad, logits, loss, xk]);
        xk = next;
        if (keep && !tracker.done) shrink(keep);
      }
    }
    return await tracker.finish(xk);
  } finally {
    tf.dispose([rows.x, rows.labels]);
    xk?.dispose();
  }
}

/**
 * {@link pgd} with device bookkeeping (device_tracker.ts): the batch stays whole, the iterate is a variable, and
 * each iteration — input gradient, step, projection, bookkeeping — is one {@link IterationGraph} run, replayed
 * on webgpu from its third run on. Starts and the last iterate's check run through tfjs and assign the
 * variables, which a replay then reads.
 */
async function pgdOnDevice(
  f: LogitsFn,
  x: tf.Tensor4D,
  labels: tf.Tensor1D,
  options: PgdOptions,
  ids: readonly number[],
): Promise<tf.Tensor4D> {
  const { steps } = options;
  const tracker = new DeviceTracker(x);
  const xk = stateVariable(tf.zerosLike(x));
  const iteration = new IterationGraph(() =>
    tf.tidy(() => {
      const { grad, logits, loss } = lossGradient(f, xk as tf.Tensor4D, labels);
      try {
        const next = pgdStep(x, xk as tf.Tensor4D, grad, options);
        tracker.recordOnDevice(xk as tf.Tensor4D, logits, labels);
        xk.assign(next);
      } finally {
        tf.dispose([grad, logits, loss]);
      }
    }), options.graphs ?? iterationGraphsFor(tf.backend(), steps).graphs);
  try {
    for (let r = 0; r < options.restarts && !tracker.done; r++) {
      const start = pgdStart(x, options, ids, r);
      xk.assign(start);
      start.dispose(); // the variable is the data's only owner, as a replay needs
      for (let k = 0; k < steps && !tracker.done; k++) {
        iteration.run();
        tracker.poll();
        await Promise.resolve(); // lets a read that came back set `done`
      }
      if (tracker.done) break;
      // The last iterate is checked on a forward pass alone.
      const logits = tf.tidy(() => f(xk as tf.Tensor4D));
      tracker.recordOnDevice(xk as tf.Tensor4D, logits, labels);
      logits.dispose();
      tracker.poll();
    }
    return await tracker.finish(xk as tf.Tensor4D);
  } finally {
    iteration.dispose();
    xk.dispose();
  }
}
