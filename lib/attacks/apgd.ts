/**
 * APGD-CE (Croce & Hein, arXiv:2003.01690; docs/method.md §5.2), the project's check against gradient masking
 * and badly tuned step sizes: PGD with momentum and a per-sample step size that starts at 2ε and is halved at
 * checkpoints when progress stalls, restarting from the best point found so far. It needs no step-size tuning,
 * so a model that looks robust under PGD but not under APGD was evaluated with too weak a PGD.
 *
 * Port of AutoAttack's `apgd-ce` (one run, untargeted cross-entropy), per sample:
 * 1. Start at x₀ = P(x + ε·t/‖t‖) (lib/attacks/starts.ts, kind "apgd"); η = 2ε.
 * 2. z = P(xₖ + η·d(∇)); xₖ₊₁ = P(xₖ + a·(z − xₖ) + (1 − a)·(xₖ − xₖ₋₁)), a = 1 at the first step, else 0.75.
 * 3. Keep the highest-loss point x_best and its gradient.
 * 4. Checkpoints: the first after ⌊0.22·N⌋ steps, then intervals shrinking by ⌊0.03·N⌋ down to ⌊0.06·N⌋
 *    (each at least 1). At a checkpoint ending an interval of k steps, halve η and jump back to x_best (with
 *    its gradient) where the loss rose in at most 0.75·k of those steps, or where η was not halved at the
 *    previous checkpoint and the best loss has not improved since.
 *
 * Differences from AutoAttack: the first step's "rise" compares with the loss at x₀ (AutoAttack compares with
 * a zero-initialised history row); for samples never misclassified the highest-loss point x_best is returned
 * (AutoAttack returns x₀). As in the other attacks, a broken sample returns its first misclassified iterate
 * and leaves the batch (tracker.ts), or on webgpu stays in it with its result frozen (device_tracker.ts), the
 * iterations then replayed as step graphs (iteration_graph.ts).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { type LogitsFn, lossGradient } from "./model.ts";
import { type Norm, project, steepestDirection } from "./norms.ts";
import { randomStart } from "./starts.ts";
import { gatherRows, selectRows } from "./tracker.ts";
import { newTracker, type Tracking, trackingFor } from "./tracking.ts";
import { DeviceTracker } from "./device_tracker.ts";
import { IterationGraph, iterationGraphsFor, ownCopy, stateVariable } from "./iteration_graph.ts";

/** Options of {@link apgd}. */
export interface ApgdOptions {
  eps: number;
  norm: Norm;
  /** Iterations N (AutoAttack: 100). */
  steps: number;
  seed: number;
  /** Per-sample ids for the random start (lib/attacks/starts.ts); default 0..B-1. */
  ids?: ArrayLike<number>;
  /** The bookkeeping (tracking.ts); default: the one for the active backend. */
  tracking?: Tracking;
  /**
   * With device bookkeeping, run the iterations through step graphs (iteration_graph.ts); default: where the
   * backend can. The results are the same bits either way.
   */
  graphs?: boolean;
}

/** The iterations after which APGD checks progress (1-based step counts), for N steps. */
export function apgdCheckpoints(steps: number): number[] {
  let interval = Math.max(Math.floor(0.22 * steps), 1);
  const decrease = Math.max(Math.floor(0.03 * steps), 1);
  const minimum = Math.max(Math.floor(0.06 * steps), 1);
  const out: number[] = [];
  for (let at = interval; at <= steps; at += interval) {
    out.push(at);
    interval = Math.max(interval - decrease, minimum);
  }
  return out;
}

/** The per-sample tensors APGD's steps read (its state, as tensors or variables). */
type ApgdTensors = Record<
  | "xk"
  | "xPrev"
  | "grad"
  | "loss"
  | "xBest"
  | "gradBest"
  | "lossBest"
  | "lossBestAtCheck"
  | "halvedAtCheck"
  | "rises"
  | "eta",
  tf.Tensor
>;

/** Step 1 of the module doc: the start x₀ = P(x + ε·t/‖t‖). */
function apgdStart(x: tf.Tensor4D, o: ApgdOptions & { ids: ArrayLike<number> }): tf.Tensor4D {
  return tf.tidy(() =>
    project(
      x,
      randomStart(x, o.eps, o.norm, "apgd", {
        seed: o.seed,
        ids: o.ids,
        restart: 0,
        purpose: `apgd-${o.norm}`,
      }),
      o.eps,
      o.norm,
    )
  );
}

/** Step 2: the next iterate from the state, with momentum weight `a` (1 at the first step, then 0.75). */
function apgdMove(x: tf.Tensor4D, t: ApgdTensors, a: number, o: ApgdOptions): tf.Tensor4D {
  const xk = t.xk as tf.Tensor4D;
  const z = project(
    x,
    tf.add(xk, tf.mul(steepestDirection(t.grad as tf.Tensor4D, o.norm), t.eta)) as tf.Tensor4D,
    o.eps,
    o.norm,
  );
  const moved = tf.add(tf.add(xk, tf.mul(tf.sub(z, xk), a)), tf.mul(tf.sub(xk, t.xPrev), 1 - a));
  return project(x, moved as tf.Tensor4D, o.eps, o.norm);
}

/** Step 3: the rises and the best point after iterate `xNew` with its gradient and loss. */
function apgdBest(t: ApgdTensors, xNew: tf.Tensor4D, grad: tf.Tensor4D, loss: tf.Tensor1D) {
  const improved = tf.greater(loss, t.lossBest) as tf.Tensor1D;
  return {
    rises: tf.add(t.rises, tf.cast(tf.greater(loss, t.loss), "float32")),
    xBest: selectRows(improved, xNew, t.xBest),
    gradBest: selectRows(improved, grad, t.gradBest),
    lossBest: tf.where(improved, loss, t.lossBest as tf.Tensor1D),
  };
}

/** Step 4: the state after a checkpoint ending an interval of `k` steps. */
function apgdCheckpoint(t: ApgdTensors, k: number) {
  const oscillating = tf.lessEqual(t.rises, 0.75 * k);
  const stalled = tf.logicalAnd(
    tf.logicalNot(t.halvedAtCheck),
    tf.greaterEqual(t.lossBestAtCheck, t.lossBest),
  );
  const reset = tf.logicalOr(oscillating, stalled) as tf.Tensor1D;
  return {
    eta: selectRows(reset, tf.div(t.eta, 2), t.eta),
    xk: selectRows(reset, t.xBest, t.xk),
    grad: selectRows(reset, t.gradBest, t.grad),
    lossBestAtCheck: ownCopy(t.lossBest),
    rises: tf.zerosLike(t.rises),
    halvedAtCheck: reset,
  };
}

/** Mutable per-sample state; every field is owned here and replaced with {@link State.set}. */
class State {
  t: Record<string, tf.Tensor> = {};
  set(values: Record<string, tf.Tensor>): void {
    for (const [k, v] of Object.entries(values)) {
      if (this.t[k] !== v) this.t[k]?.dispose();
      this.t[k] = v;
    }
  }
  dispose(): void {
    tf.dispose(Object.values(this.t));
  }
}

/**
 * Adversarial examples for the batch `x` with integer `labels`; the caller disposes the result.
 *
 * @example
 * const xAdv = await apgd(f, x, labels, { eps: 8 / 255, norm: "linf", steps: 100, seed: 0 });
 */
export async function apgd(
  f: LogitsFn,
  x: tf.Tensor4D,
  labels: tf.Tensor1D,
  options: ApgdOptions,
): Promise<tf.Tensor4D> {
  const { eps, steps } = options;
  if (!(eps >= 0)) throw new Error(`apgd: eps must be ≥ 0, got ${eps}`);
  if (!Number.isInteger(steps) || steps < 1) {
    throw new Error(`apgd: steps must be an integer ≥ 1, got ${steps}`);
  }
  const ids = options.ids ?? Array.from({ length: x.shape[0] }, (_, i) => i);
  const checkpoints = new Set(apgdCheckpoints(steps));
  const tracking = options.tracking ?? trackingFor(tf.getBackend()).tracking;
  if (tracking === "device") return await apgdOnDevice(f, x, labels, { ...options, ids }, checkpoints);
  const b = x.shape[0];
  const tracker = newTracker(x, tracking);
  // Every per-sample tensor of the attack, the standing rows' clean images and labels included (tracker.ts).
  const s = new State();
  const shrink = (keep: Int32Array | null) => {
    if (keep && !tracker.done) {
      s.set(Object.fromEntries(Object.entries(s.t).map(([k, v]) => [k, gatherRows(v, keep)])));
    }
  };
  try {
    const x0 = apgdStart(x, { ...options, ids });
    const first = lossGradient(f, x0, labels);
    const keep0 = await tracker.record(x0, first.logits, labels);
    first.logits.dispose();
    s.set({
      x: tf.clone(x),
      labels: tf.clone(labels),
      xk: x0,
      xPrev: tf.clone(x0),
      grad: first.grad,
      loss: first.loss,
      xBest: tf.clone(x0),
      gradBest: tf.clone(first.grad),
      lossBest: tf.clone(first.loss),
      lossBestAtCheck: tf.clone(first.loss),
      halvedAtCheck: tf.zeros([b], "bool"),
      rises: tf.zeros([b]),
      eta: tf.fill([b, 1, 1, 1], 2 * eps),
    });
    shrink(keep0);
    let lastCheck = 0;
    for (let i = 1; i <= steps && !tracker.done; i++) {
      const t = s.t;
      const xc = t.x as tf.Tensor4D;
      const a = i === 1 ? 1 : 0.75;
      const xNew = tf.tidy(() => apgdMove(xc, t as ApgdTensors, a, options));
      const { grad, logits, loss } = lossGradient(f, xNew, t.labels as tf.Tensor1D);
      const keep = await tracker.record(xNew, logits, t.labels as tf.Tensor1D);
      logits.dispose();
      const updated = tf.tidy(() => apgdBest(t as ApgdTensors, xNew, grad, loss));
      // The old iterate becomes xPrev (moved, not copied); the old xPrev is freed.
      const oldXk = t.xk;
      delete t.xk;
      s.set({ ...updated, xPrev: oldXk, xk: xNew, grad, loss });
      if (checkpoints.has(i)) {
        const k = i - lastCheck;
        lastCheck = i;
        s.set(tf.tidy(() => apgdCheckpoint(s.t as ApgdTensors, k)));
      }
      shrink(keep);
    }
    return await tracker.finish(tracker.done ? null : s.t.xBest as tf.Tensor4D);
  } finally {
    s.dispose();
  }
}

/**
 * {@link apgd} with device bookkeeping (device_tracker.ts): the batch stays whole and the per-sample state lives
 * in variables, so that iterations 2 … N — a momentum step, the input gradient, the best-point bookkeeping —
 * are one {@link IterationGraph}, replayed on webgpu from its third run on. Iteration 1 (no momentum) and the
 * checkpoints run through tfjs and assign the variables, which a replay then reads. The same tensors as
 * {@link apgd}'s other path, computed by the same kernels: the same bits.
 */
async function apgdOnDevice(
  f: LogitsFn,
  x: tf.Tensor4D,
  labels: tf.Tensor1D,
  options: ApgdOptions & { ids: ArrayLike<number> },
  checkpoints: ReadonlySet<number>,
): Promise<tf.Tensor4D> {
  const { eps, steps } = options;
  const b = x.shape[0];
  const tracker = new DeviceTracker(x);
  const x0 = apgdStart(x, options);
  const first = lossGradient(f, x0, labels);
  tracker.recordOnDevice(x0, first.logits, labels);
  tracker.poll();
  first.logits.dispose();
  // Every variable owns its data (ownCopy), as a replay needs.
  const v = {
    xPrev: stateVariable(ownCopy(x0)),
    xBest: stateVariable(ownCopy(x0)),
    gradBest: stateVariable(ownCopy(first.grad)),
    lossBest: stateVariable(ownCopy(first.loss)),
    lossBestAtCheck: stateVariable(ownCopy(first.loss)),
    xk: stateVariable(x0),
    grad: stateVariable(first.grad),
    loss: stateVariable(first.loss),
    halvedAtCheck: stateVariable(tf.zeros([b], "bool")),
    rises: stateVariable(tf.zeros([b])),
    eta: stateVariable(tf.fill([b, 1, 1, 1], 2 * eps)),
  };
  /** Iteration with momentum weight `a` (1 at the first, then 0.75): new values from old, then assigned. */
  const iterate = (a: number) =>
    tf.tidy(() => {
      const xNew = apgdMove(x, v, a, options);
      const { grad, logits, loss } = lossGradient(f, xNew, labels);
      try {
        tracker.recordOnDevice(xNew, logits, labels);
        const next = { ...apgdBest(v, xNew, grad, loss), xPrev: ownCopy(v.xk) };
        for (const [k, t] of Object.entries(next)) v[k as keyof typeof next].assign(t);
        v.xk.assign(xNew);
        v.grad.assign(grad);
        v.loss.assign(loss);
      } finally {
        tf.dispose([grad, logits, loss]);
      }
    });
  const later = new IterationGraph(
    () => iterate(0.75),
    options.graphs ?? iterationGraphsFor(tf.backend(), steps - 1).graphs,
  );
  try {
    let lastCheck = 0;
    for (let i = 1; i <= steps && !tracker.done; i++) {
      if (i === 1) iterate(1);
      else later.run();
      tracker.poll();
      if (checkpoints.has(i)) {
        const k = i - lastCheck;
        lastCheck = i;
        tf.tidy(() => {
          const next = apgdCheckpoint(v, k);
          for (const [key, t] of Object.entries(next)) v[key as keyof typeof next].assign(t);
        });
      }
      await Promise.resolve(); // lets a read that came back set `done`
    }
    return await tracker.finish(tracker.done ? null : v.xBest as tf.Tensor4D);
  } finally {
    later.dispose();
    tf.dispose(Object.values(v));
  }
}
