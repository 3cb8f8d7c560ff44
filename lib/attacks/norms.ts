/**
 * Norm balls around clean images and the projections onto them (docs/method.md §5.1.2–5.1.3).
 *
 * - L∞: clamp δ to [−ε, ε], then x + δ to [0, 1]; written as one clamp of the iterate to
 *   [max(0, x−ε), min(1, x+ε)]. This is the exact Euclidean projection onto the ball ∩ box.
 * - L2: scale δ by min(1, ε/‖δ‖₂) (exact projection onto the ball), then clamp x + δ to [0, 1]. Clamping only
 *   shrinks |δᵢ|, so the result stays in the ball; it is the reference libraries' rule, not the exact projection
 *   onto ball ∩ box.
 * - Step directions: sign(g) for L∞, g/‖g‖₂ for L2 (norm guarded by 1e-12; sign(0) = 0).
 *
 * All functions work per sample on [B, H, W, C] batches and return new tensors.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

/** The threat models. */
export const NORMS = ["linf", "l2"] as const;
/** One of {@link NORMS}. */
export type Norm = typeof NORMS[number];

/** Guard against division by a zero norm (docs/method.md §5.1.3). */
export const NORM_GUARD = 1e-12;

/** Per-sample norm of `d` [B, H, W, C], shaped [B, 1, 1, 1] for broadcasting. */
export function sampleNorm(d: tf.Tensor4D, norm: Norm): tf.Tensor4D {
  return tf.tidy(() =>
    norm === "linf"
      ? tf.max(tf.abs(d), [1, 2, 3], true) as tf.Tensor4D
      : tf.sqrt(tf.sum(tf.square(d), [1, 2, 3], true)) as tf.Tensor4D
  );
}

/** Unit step direction of gradient `g` in `norm`: sign(g), or g/‖g‖₂ per sample. */
export function steepestDirection(g: tf.Tensor4D, norm: Norm): tf.Tensor4D {
  return tf.tidy(() =>
    norm === "linf" ? tf.sign(g) : tf.div(g, tf.maximum(sampleNorm(g, "l2"), NORM_GUARD)) as tf.Tensor4D
  );
}

/**
 * Projects `xAdv` onto the `norm` ball of radius `eps` around `x` intersected with [0, 1] (L2: ball first, then
 * the box; see the module doc). Exact for eps = 0: returns x.
 *
 * @example
 * const p = project(x, tf.add(x, 0.5), 8 / 255, "linf"); // every pixel moved by exactly 8/255, or clipped
 */
export function project(x: tf.Tensor4D, xAdv: tf.Tensor4D, eps: number, norm: Norm): tf.Tensor4D {
  if (!(eps >= 0)) throw new Error(`project: eps must be ≥ 0, got ${eps}`);
  return tf.tidy(() => {
    if (norm === "linf") {
      const lo = tf.maximum(tf.sub(x, eps), 0);
      const hi = tf.minimum(tf.add(x, eps), 1);
      return tf.minimum(tf.maximum(xAdv, lo), hi) as tf.Tensor4D;
    }
    const d = tf.sub(xAdv, x);
    const scale = tf.minimum(tf.div(eps, tf.maximum(sampleNorm(d as tf.Tensor4D, "l2"), NORM_GUARD)), 1);
    return tf.clipByValue(tf.add(x, tf.mul(d, scale)), 0, 1) as tf.Tensor4D;
  });
}
