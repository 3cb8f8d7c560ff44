/**
 * A `FusedBatchNorm` gradient without the full-size `Tile` of the stock one (any backend).
 *
 * With rstd = 1/sqrt(var+eps), S1 = Σ dy and S2 = Σ dy·(x − mean) over the broadcast axes:
 * dx = dy·scale·rstd, dmean = −scale·rstd·S1, dvar = −½·scale·rstd³·S2, dscale = rstd·S2, doffset = S1.
 */
import * as tf from "@tensorflow/tfjs-core";
// tfjs-layers registers its own copy of the gradients when imported; ours must be registered after it.
import "@tensorflow/tfjs-layers";

/** The gradient config; {@link registerFastBatchNormGrad} installs it. */
export const fastBatchNormGrad: tf.GradConfig = {
  kernelName: "FusedBatchNorm",
  inputsToSave: ["x", "mean", "variance", "scale"],
  gradFunc: (dy, saved, attrs) => {
    const g = dy as tf.Tensor;
    const [x, mean, variance, scale] = saved;
    const axes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
    const reduce = (t: tf.Tensor) => tf.reshape(axes.length ? tf.sum(t, axes) : t, mean.shape);
    // Shared by several closures below; computed once in the backward scope.
    const rstd = tf.rsqrt(tf.add(variance, tf.scalar(attrs.varianceEpsilon as number)));
    const scaledRstd = scale == null ? rstd : tf.mul(rstd, scale);
    const s1 = reduce(g);
    const s2 = reduce(tf.mul(g, tf.sub(x, mean)));
    return {
      x: () => tf.mul(g, scaledRstd),
      mean: () => tf.neg(tf.mul(scaledRstd, s1)),
      variance: () => tf.mul(tf.mul(scaledRstd, tf.square(rstd)), tf.mul(s2, -0.5)),
      scale: () => tf.mul(rstd, s2),
      offset: () => tf.clone(s1),
    };
  },
};

/** Replaces the `FusedBatchNorm` gradient for every backend (process-wide). */
export function registerFastBatchNormGrad(): void {
  tf.registerGradient(fastBatchNormGrad);
}
