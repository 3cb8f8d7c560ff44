/**
 * The attack bookkeeping of tracker.ts kept on the device, for backends where a read costs more than the
 * compute it saves. Deno's WebGPU resolves every `mapAsync` after a fixed 10 ms sleep at least
 * (bench/gpu/eval_reads.ts measures it), while a PGD step of a small network takes about 1 ms of GPU
 * time; {@link ShrinkingTracker} reads once or twice per iterate.
 *
 * This tracker never shrinks the batch and reads nothing to record an iterate: each row's first misclassified
 * iterate is selected on the device (`best ← where(newly broken, xₖ, best)`), and whether every row is
 * broken is read in the background, one read in flight at a time; {@link DeviceTracker.done} turns true when
 * such a read comes back with every row broken, a few iterates late. A broken row keeps being attacked, but
 * its result is frozen at its first misclassified iterate, so — as long as the rows of a batch do not
 * influence each other, which holds in inference mode — the results are those of {@link ShrinkingTracker}.
 *
 * @example
 * ```ts
 * const tracker = new DeviceTracker(x);
 * for (let k = 0; k < steps && !tracker.done; k++) {
 *   await tracker.record(xk, logits, labels); // always null: the batch stays whole
 * }
 * const xAdv = await tracker.finish(xk); // no read: rows never broken take their row of xk
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { misclassified } from "./model.ts";
import { type AttackTracker, selectRows } from "./tracker.ts";
import { stateVariable } from "./iteration_graph.ts";

/** Keeps each sample's first misclassified iterate on the device; see the module doc. */
export class DeviceTracker implements AttackTracker {
  /** Row i: the first misclassified iterate of sample i (zeros while it stands). */
  readonly #best: tf.Variable;
  /** Row i: whether sample i has been misclassified at some iterate. */
  readonly #broken: tf.Variable;
  #done = false;
  #read: Promise<void> | null = null;
  /** A background read that failed: thrown by the next record or finish. */
  #failure: unknown = null;

  /**
   * Starts with every row of `x` standing; `x` fixes the shapes. The bookkeeping lives in variables, so an
   * iteration that records on the device can be captured and replayed (iteration_graph.ts).
   */
  constructor(x: tf.Tensor4D) {
    this.#best = stateVariable(tf.zerosLike(x));
    this.#broken = stateVariable(tf.zeros([x.shape[0]], "bool"));
  }

  /** Whether a background read found every sample broken. */
  get done(): boolean {
    return this.#done;
  }

  /** Records iterate `xk` of the whole batch (no read); always null, the batch stays whole. */
  record(xk: tf.Tensor4D, logits: tf.Tensor2D, labels: tf.Tensor1D): Promise<null> {
    this.recordOnDevice(xk, logits, labels);
    this.poll();
    return Promise.resolve(null);
  }

  /**
   * Records iterate `xk` on the device only: no read is started, so an iteration graph can capture it. Call
   * {@link poll} outside the capture.
   */
  recordOnDevice(xk: tf.Tensor4D, logits: tf.Tensor2D, labels: tf.Tensor1D): void {
    this.#throwFailure();
    if (xk.shape[0] !== this.#best.shape[0]) {
      throw new Error(`DeviceTracker: iterate of ${xk.shape[0]} rows, the batch has ${this.#best.shape[0]}`);
    }
    tf.tidy(() => {
      const wrong = misclassified(logits, labels);
      const newly = tf.logicalAnd(wrong, tf.logicalNot(this.#broken)) as tf.Tensor1D;
      this.#best.assign(selectRows(newly, xk, this.#best));
      this.#broken.assign(tf.logicalOr(this.#broken, wrong));
    });
  }

  /** Starts a background read of whether every sample is broken, unless one is in flight or all are. */
  poll(): void {
    if (this.#read === null && !this.#done) this.#startRead();
  }

  /**
   * The result, assembled on the device; `rest` (the last iterate) may be null only once {@link done}. A read
   * still in flight is not waited for (it could only stop the attack early, and the attack has ended), so the
   * caller can queue its next work at once; should that read fail, the device is lost and the caller's own
   * next read fails too.
   */
  finish(rest: tf.Tensor4D | null): Promise<tf.Tensor4D> {
    try {
      this.#throwFailure();
      if (rest === null) {
        if (!this.#done) throw new Error("DeviceTracker.finish: no last iterate while samples still stand");
        return Promise.resolve(tf.clone(this.#best) as tf.Tensor4D);
      }
      return Promise.resolve(selectRows(this.#broken as tf.Tensor1D, this.#best, rest) as tf.Tensor4D);
    } catch (e) {
      return Promise.reject(e);
    } finally {
      tf.dispose([this.#best, this.#broken]);
    }
  }

  #startRead(): void {
    const all = tf.all(this.#broken);
    this.#read = all.data().then(
      (v) => {
        this.#done = v[0] !== 0;
      },
      (e) => {
        this.#failure = e;
      },
    ).finally(() => {
      all.dispose();
      this.#read = null;
    });
  }

  #throwFailure(): void {
    if (this.#failure !== null) throw this.#failure;
  }
}
