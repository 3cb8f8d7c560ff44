/**
 * `Relu` on webgpu over `vec4`s: tfjs's own expression, `select(a, 0, a < 0)` (NaN and −0 pass through), four
 * elements an invocation, where tfjs's unary shader takes one. The stock kernel runs where the size is not a
 * multiple of 4 or the dtype is not float32. Same bits (tests/lib/backends/kernels/webgpu_elementwise_test.ts).
 *
 * @example
 * ```ts
 * replaceKernel("Relu", WEBGPU_BACKEND, reluVec4WebGpu);
 * tf.relu(x); // one ourRelu_vec4 dispatch
 * ```
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs-core";
import { type KernelFn, stockFallback } from "./kernel_registry.ts";
import { ElementwiseProgram, fitsVec4, runProgram } from "../webgpu/program.ts";
import { WEBGPU_BACKEND } from "../webgpu/name.ts";

/** `Relu` ({ x } → max(x, 0), NaN kept) as a `vec4` program; tfjs's shader for other sizes and dtypes. */
export const reluVec4WebGpu: KernelFn = (args) => {
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (x.dtype !== "float32" || !fitsVec4(x)) {
    return stockFallback("Relu", WEBGPU_BACKEND, "only float32 sizes that are multiples of 4 are ours")(args);
  }
  const program = new ElementwiseProgram(
    "ourRelu",
    ["x"],
    "",
    x.shape,
    "let a = x[index]; let out = select(a, vec4<f32>(0.0), a < vec4<f32>(0.0));",
    true,
  );
  return runProgram(args.backend, program, [x]);
};
