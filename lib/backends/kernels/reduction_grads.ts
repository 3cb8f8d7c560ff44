/**
 * `Sum` and `Mean` gradients that broadcast on the device instead of multiplying by `tf.ones(x.shape)`.
 *
 * The stock configs compute `dy · ones(x.shape)` (and `/ size` for Mean). `tf.ones` builds a full-size
 * Float32Array on the CPU, which webgpu then uploads through a freshly created mapped staging buffer: for a
 * batch-norm network that is two full activation-sized uploads per BN layer per step (the `moments()` means).
 * Here the ones come from `tf.fill`, which webgpu runs as a shader; the arithmetic is the same multiply and
 * divide, so results are bit-identical to the stock gradients.
 */
import * as tf from "@tensorflow/tfjs-core";
// tfjs-layers registers its own copy of the gradients when imported; ours must be registered after it.
import "@tensorflow/tfjs-layers";

function broadcastBack(dy: tf.Tensor, x: tf.Tensor, axis: number | number[]): tf.Tensor {
  const axes = tf.util.parseAxisParam(axis, x.shape);
  const expanded = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  return tf.mul(tf.reshape(dy, expanded), tf.fill(x.shape, 1, "float32"));
}

/** Gradient of `Sum` without a CPU-side `ones`. */
export const sumGrad: tf.GradConfig = {
  kernelName: "Sum",
  inputsToSave: ["x"],
  gradFunc: (dy, [x], attrs) => ({ x: () => broadcastBack(dy as tf.Tensor, x, attrs.axis as number[]) }),
};

/** Gradient of `Mean` without a CPU-side `ones`. */
export const meanGrad: tf.GradConfig = {
  kernelName: "Mean",
  inputsToSave: ["x"],
  gradFunc: (dy, [x], attrs) => ({
    x: () => {
      const axes = tf.util.parseAxisParam(attrs.axis as number[], x.shape);
      const size = axes.reduce((p, a) => p * x.shape[a], 1);
      return tf.div(broadcastBack(dy as tf.Tensor, x, axes), size);
    },
  }),
};

/** Installs both gradients (process-wide, every backend). */
export function registerReductionGrads(): void {
  tf.registerGradient(sumGrad);
  tf.registerGradient(meanGrad);
}
