/**
 * Per-sample bookkeeping of iterative attacks: every iterate lies in the threat ball, so a sample counts as
 * broken as soon as any iterate is misclassified, and the attack returns that iterate (the first one found),
 * not only its last iterate. This is AutoAttack's `x_best_adv` rule (docs/method.md §5.2) and makes an attack
 * with several restarts or iterations at least as strong as its last iterate alone.
 *
 * A broken sample's result is final, so, as AutoAttack does, it leaves the batch: the attack goes on with the
 * samples still standing only. That costs a read from the device per iterate; where reads are slow (webgpu)
 * the attacks use device_tracker.ts instead, which gives the same results (lib/attacks/tracking.ts chooses). In inference mode every sample's iterates depend on that sample alone (batch
 * norm uses running statistics; the gradient of a summed loss is per sample), so the results are those of
 * attacking every sample to the end, at the cost of the samples still standing.
 *
 * @example
 * ```ts
 * const tracker = new ShrinkingTracker(x);
 * const keep = await tracker.record(xk, logits, labels); // null: no row broke, the batch is unchanged
 * if (keep) xk = gatherRows(xk, keep); // and every other per-sample tensor of the attack
 * const xAdv = await tracker.finish(xk); // rows never broken take their row of xk
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { misclassified } from "./model.ts";

/** Per-row choice between two batches: row i of `a` where `mask[i]`, else row i of `b`. */
export function selectRows(mask: tf.Tensor1D, a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const shape = [mask.shape[0], ...new Array(a.rank - 1).fill(1)];
    return tf.where(tf.reshape(mask, shape), a, b);
  });
}

/** Rows `keep` of `t` (a new tensor; `t` is not disposed). */
export function gatherRows<T extends tf.Tensor>(t: T, keep: Int32Array): T {
  return tf.tidy(() => tf.gather(t, tf.tensor1d(keep, "int32"))) as T;
}

/**
 * What an iterative attack needs of its bookkeeping: record each iterate (with the logits of its forward pass),
 * learn which rows may leave the batch, stop once every sample is broken, and assemble the result.
 */
export interface AttackTracker {
  /** Whether every sample is known to be broken (the attack may stop). */
  readonly done: boolean;
  /**
   * Records iterate `xk` of the rows in the batch, with its `logits`. Returns the positions (in the current
   * batch) of the rows that stay, when some leave; null when the batch is unchanged.
   */
  record(xk: tf.Tensor4D, logits: tf.Tensor2D, labels: tf.Tensor1D): Promise<Int32Array | null>;
  /** The result: each broken row's first misclassified iterate, the other rows' row of `rest`. */
  finish(rest: tf.Tensor4D | null): Promise<tf.Tensor4D>;
}

/** Keeps each sample's first misclassified iterate and which samples still stand. */
export class ShrinkingTracker implements AttackTracker {
  readonly #shape: [number, number, number, number];
  readonly #rowSize: number;
  readonly #out: Float32Array;
  /** Rows of the original batch still standing, in the order of the current (shrunk) batch. */
  #standing: number[];

  /** Starts with every row of `x` standing; `x` fixes the shapes. */
  constructor(x: tf.Tensor4D) {
    this.#shape = x.shape;
    this.#rowSize = x.shape[1] * x.shape[2] * x.shape[3];
    this.#out = new Float32Array(x.shape[0] * this.#rowSize);
    this.#standing = Array.from({ length: x.shape[0] }, (_, i) => i);
  }

  /** Whether every sample is broken. */
  get done(): boolean {
    return this.#standing.length === 0;
  }

  /**
   * Records iterate `xk` of the standing rows, with its `logits`: misclassified rows are kept as results and
   * leave. Returns the positions (in the current batch) of the rows still standing (empty when none is), or
   * null when no row broke (the batch is unchanged).
   */
  async record(xk: tf.Tensor4D, logits: tf.Tensor2D, labels: tf.Tensor1D): Promise<Int32Array | null> {
    const wrongT = misclassified(logits, labels);
    const wrong = await wrongT.data();
    wrongT.dispose();
    const broken: number[] = [];
    const keep: number[] = [];
    wrong.forEach((w, j) => (w ? broken : keep).push(j));
    if (broken.length === 0) return null;
    const rows = gatherRows(xk, Int32Array.from(broken));
    const pixels = await rows.data();
    rows.dispose();
    broken.forEach((j, b) =>
      this.#out.set(
        pixels.subarray(b * this.#rowSize, (b + 1) * this.#rowSize),
        this.#standing[j] * this.#rowSize,
      )
    );
    this.#standing = keep.map((j) => this.#standing[j]);
    return Int32Array.from(keep);
  }

  /** The result: each broken row's kept iterate, and for each row still standing its row of `rest`. */
  async finish(rest: tf.Tensor4D | null): Promise<tf.Tensor4D> {
    if (this.#standing.length > 0) {
      const pixels = await rest!.data();
      this.#standing.forEach((row, j) =>
        this.#out.set(pixels.subarray(j * this.#rowSize, (j + 1) * this.#rowSize), row * this.#rowSize)
      );
    }
    return tf.tensor4d(this.#out, this.#shape);
  }
}
