/**
 * ReLU's gradient as one kernel: `OurReluGrad` computes dy · step(x) in one pass, on wasm over our SIMD module
 * (`relu_grad` in lib/backends/wasm/simd/relu_grad.c), on webgpu as one WGSL program, where tfjs's gradient
 * runs Step, Cast (a copy on wasm) and Multiply, two or three full-size passes. The bits are the stock ones, −0
 * and NaN included (tests/lib/backends/kernels/relu_grad_test.ts, webgpu_relu_grad_test.ts).
 *
 * {@link reluGrad} replaces tfjs's `Relu` gradient process-wide; on a backend without `OurReluGrad` (cpu) it
 * runs tfjs's own composition, so nothing changes there.
 *
 * @example
 * ```ts
 * registerKernel(WASM_RELU_GRAD_KERNELS[0]);
 * registerReluGrad();
 * tf.grad((x) => tf.relu(x))(x); // one OurReluGrad on wasm
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
// tfjs-layers registers its own copy of the gradients when imported; ours must be registered after it.
import "@tensorflow/tfjs-layers";
import type { KernelFn } from "./kernel_registry.ts";
import { type PoolOf, SimdPool } from "../wasm/simd_pool.ts";
import { heapAddress as address, type WasmHeapBackend } from "./wasm_heap.ts";
import { ElementwiseProgram, fitsVec4, runProgram } from "../webgpu/program.ts";
import { WEBGPU_BACKEND } from "../webgpu/name.ts";

/** The fused kernel's name. */
export const RELU_GRAD_KERNEL = "OurReluGrad";

/** `OurReluGrad` ({ x, dy } → dy · step(x)) on wasm; `poolOf` picks the threads. */
export const reluGradWasm = (poolOf: PoolOf = SimdPool.of): KernelFn => ({ inputs, backend }) => {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const b = backend as unknown as WasmHeapBackend;
  const out = b.makeOutput(x.shape, "float32");
  poolOf(backend).run("relu_grad", [
    ...[x, dy, out].map((t) => address(b, t)),
    tf.util.sizeFromShape(x.shape),
  ]);
  return out;
};

/** The kernel configs, for lib/backends/kernels/register_kernels.ts. */
export const WASM_RELU_GRAD_KERNELS: readonly tf.KernelConfig[] = [
  {
    kernelName: RELU_GRAD_KERNEL,
    backendName: "wasm",
    kernelFunc: reluGradWasm() as unknown as tf.KernelFunc,
  },
];

/**
 * `OurReluGrad` on webgpu: tfjs's Step shader (NaN passed through, else 1 above 0 and 0 otherwise) and its
 * Multiply (`dy · step`, no NaN check), in one program; over `vec4`s when the size is a multiple of 4 (the
 * same expression per lane).
 */
export const reluGradWebGpu: KernelFn = ({ inputs, backend }) => {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const vec4 = fitsVec4(x);
  const program = new ElementwiseProgram(
    "ourReluGrad",
    ["x", "dy"],
    "",
    x.shape,
    vec4
      ? `let a = x[index];
          let s = select(select(vec4<f32>(0.0), vec4<f32>(1.0), a > vec4<f32>(0.0)), a, isnanVec4(a));
          let out = dy[index] * s;`
      : `let a = x[index];
          var s = select(0.0, 1.0, a > 0.0);
          if (isnan(a)) {
            s = a;
          }
          let out = dy[index] * s;`,
    vec4,
  );
  return runProgram(backend, program, [x, dy]);
};

/** The kernel config for our webgpu backend, for lib/backends/kernels/register_kernels.ts. */
export const WEBGPU_RELU_GRAD_KERNELS: readonly tf.KernelConfig[] = [
  {
    kernelName: RELU_GRAD_KERNEL,
    backendName: WEBGPU_BACKEND,
    kernelFunc: reluGradWebGpu as unknown as tf.KernelFunc,
  },
];

/**
 * `Relu`'s gradient: `OurReluGrad` for float32 where the active backend has it, else tfjs's dy · cast(step(x)).
 */
export const reluGrad: tf.GradConfig = {
  kernelName: "Relu",
  inputsToSave: ["x"],
  gradFunc: (dy, [x]) => ({
    x: () =>
      x.dtype === "float32" && tf.getKernel(RELU_GRAD_KERNEL, tf.getBackend())
        ? tf.engine().runKernel(RELU_GRAD_KERNEL, { x, dy: dy as tf.Tensor }) as tf.Tensor
        : tf.mul(dy as tf.Tensor, tf.cast(tf.step(x), "float32")),
  }),
};

/** Installs {@link reluGrad} (process-wide, every backend). */
export function registerReluGrad(): void {
  tf.registerGradient(reluGrad);
}
