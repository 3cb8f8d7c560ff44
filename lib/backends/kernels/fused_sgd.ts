/**
 * One momentum-SGD update of one variable in PyTorch's convention (coupled weight decay, dampening 0):
 * v' = μ·v + (g + wd·w);  w' = w − lr·v'.
 *
 * As tf ops that is 6 kernels per variable (4 without weight decay); on webgpu, once
 * {@link registerFusedSgdKernels} has run, it is 2 WGSL kernels: {@link SGD_VELOCITY} and {@link SGD_WEIGHT}
 * (a tfjs program has one output, so v' and w' cannot share a dispatch).
 */
import * as tf from "@tensorflow/tfjs-core";
import { WEBGPU_BACKEND } from "../webgpu/name.ts";
import { ElementwiseProgram, runProgram } from "../webgpu/program.ts";

/** Kernel names (our own). */
export const SGD_VELOCITY = "OurSgdVelocity";
export const SGD_WEIGHT = "OurSgdWeight";

/** Hyper-parameters of one update. */
export interface MomentumSgdHyper {
  /** A number (a uniform of the kernel), or a float32 scalar tensor read on the device (a step graph input). */
  lr: number | tf.Scalar;
  momentum: number;
  weightDecay: number;
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap };

function velocityKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { w, v, g } = inputs as Record<string, tf.TensorInfo>;
  const program = new ElementwiseProgram(
    "ourSgdVelocity",
    ["w", "v", "g"],
    "momentum : f32, weightDecay : f32, ",
    w.shape,
    "let out = uniforms.momentum * v[index] + (g[index] + uniforms.weightDecay * w[index]);",
  );
  return runProgram(backend, program, [w, v, g], [], [
    attrs!.momentum as number,
    attrs!.weightDecay as number,
  ]);
}

function weightKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { w, v, lr } = inputs as Record<string, tf.TensorInfo>;
  if (lr) {
    // The rate read from a buffer: the same f32 multiply as the uniform's, so the same bits.
    const program = new ElementwiseProgram(
      "ourSgdWeightLrInput",
      ["w", "v", "lr"],
      "",
      w.shape,
      "let out = w[index] - lr[0] * v[index];",
    );
    return runProgram(backend, program, [w, v, lr]);
  }
  const program = new ElementwiseProgram(
    "ourSgdWeight",
    ["w", "v"],
    "lr : f32, ",
    w.shape,
    "let out = w[index] - uniforms.lr * v[index];",
  );
  return runProgram(backend, program, [w, v], [], [attrs!.lr as number]);
}

/** The two update kernels, for our webgpu backend (registered by register_kernels.ts). */
export const FUSED_SGD_KERNELS: readonly tf.KernelConfig[] = ([
  [SGD_VELOCITY, velocityKernel],
  [SGD_WEIGHT, weightKernel],
] as const).map(([kernelName, kernelFunc]) => ({
  kernelName,
  backendName: WEBGPU_BACKEND,
  kernelFunc: kernelFunc as unknown as tf.KernelFunc,
}));

/**
 * Returns [v', w'] (new tensors; the caller assigns them). Uses the fused kernels when the active backend has
 * them, else tf ops in exactly the order the formula reads (so cpu/wasm results are unchanged).
 *
 * @example
 * const [v2, w2] = momentumSgdUpdate(w, v, g, { lr: 0.1, momentum: 0.9, weightDecay: 5e-4 });
 * v.assign(v2); w.assign(w2);
 */
export function momentumSgdUpdate(
  w: tf.Tensor,
  v: tf.Tensor,
  g: tf.Tensor,
  { lr, momentum, weightDecay }: MomentumSgdHyper,
): [tf.Tensor, tf.Tensor] {
  if (tf.getKernel(SGD_VELOCITY, tf.getBackend())) {
    const engine = tf.engine();
    const v2 = engine.runKernel(SGD_VELOCITY, { w, v, g }, { momentum, weightDecay }) as tf.Tensor;
    const weight = typeof lr === "number"
      ? engine.runKernel(SGD_WEIGHT, { w, v: v2 }, { lr })
      : engine.runKernel(SGD_WEIGHT, { w, v: v2, lr }, {});
    return [v2, weight as tf.Tensor];
  }
  const gd = weightDecay === 0 ? g : tf.add(g, tf.mul(weightDecay, w));
  const v2 = tf.add(tf.mul(momentum, v), gd);
  return [v2, tf.sub(w, tf.mul(lr, v2))];
}
