/**
 * Per-sample bookkeeping of iterative attacks: every iterate lies in the threat ball, so a sample counts as
 * broken as soon as any iterate is misclassified, and the attack returns that iterate (the first one found),
 * not only its last iterate. This is AutoAttack's `x_best_adv` rule (docs/method.md §5.2) and makes an attack
 * with several restarts or iterations at least as strong as its last iterate alone.
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

/** Remembers, per sample, the first misclassified iterate. Call {@link dispose} when done. */
export class AdversarialTracker {
  #found: tf.Tensor1D;
  #best: tf.Tensor4D;

  /** Starts with nothing found; `x` fixes the shapes. */
  constructor(x: tf.Tensor4D) {
    this.#found = tf.zeros([x.shape[0]], "bool");
    this.#best = tf.clone(x);
  }

  /** Records iterate `xk` whose logits are `logits`: rows misclassified for the first time are kept. */
  update(xk: tf.Tensor4D, logits: tf.Tensor2D, labels: tf.Tensor1D): void {
    const [found, best] = tf.tidy(() => {
      const wrong = misclassified(logits, labels);
      const fresh = tf.logicalAnd(wrong, tf.logicalNot(this.#found)) as tf.Tensor1D;
      return [tf.logicalOr(this.#found, wrong), selectRows(fresh, xk, this.#best)];
    });
    tf.dispose([this.#found, this.#best]);
    this.#found = found as tf.Tensor1D;
    this.#best = best as tf.Tensor4D;
  }

  /** Whether every sample has a misclassified iterate. */
  async allFound(): Promise<boolean> {
    const n = tf.tidy(() => tf.sum(tf.cast(this.#found, "int32")));
    const v = (await n.data())[0];
    n.dispose();
    return v === this.#found.shape[0];
  }

  /** The result: the kept iterate where one was found, else the row of `fallback` (a new tensor). */
  result(fallback: tf.Tensor4D): tf.Tensor4D {
    return selectRows(this.#found, this.#best, fallback) as tf.Tensor4D;
  }

  /** Frees the tracker's tensors. */
  dispose(): void {
    tf.dispose([this.#found, this.#best]);
  }
}
