/**
 * `MaxPoolGrad` on webgpu as one `vec4` program. tfjs's kernel takes two full passes: one writes every window's
 * argmax (an int32 tensor the size of dy), the next reads it back for each element of dx. Here each
 * invocation computes 4 channels of one dx pixel and finds the argmax of each window that covers it itself.
 * The window's argmax is tfjs's (`Pool2DProgram` with positions: the last position whose value is ≥ the running
 * maximum, with its `mix`), and dx sums `dy · mask` over the covering windows in tfjs's order, so the result is
 * the stock kernel's, bit for bit (tests/lib/backends/kernels/webgpu_elementwise_test.ts). Channel counts that
 * are not multiples of 4 and other dtypes run the stock kernel.
 *
 * @example
 * ```ts
 * replaceKernel("MaxPoolGrad", WEBGPU_BACKEND, maxPoolGradWebGpu);
 * tf.grad((x) => tf.maxPool(x, 2, 2, "valid"))(x); // one ourMaxPoolGrad_vec4 dispatch
 * ```
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs-core";
import { type KernelFn, stockFallback } from "./kernel_registry.ts";
import { poolInfo } from "./max_pool_grad.ts";
import { ElementwiseProgram, runProgram } from "../webgpu/program.ts";
import { WEBGPU_BACKEND } from "../webgpu/name.ts";

/** WGSL: the argmax (window position wR·fw + wC) of 4 channels of the window of dy pixel (idyR, idyC). */
const WINDOW_ARGMAX = `
  fn windowArgmax(n : i32, idyR : i32, idyC : i32, c4 : i32) -> vec4<i32> {
    let xR0 = idyR * uniforms.strideH - uniforms.top;
    let xC0 = idyC * uniforms.strideW - uniforms.left;
    var maxValue = vec4<f32>(0.0);
    var found = vec4<f32>(0.0);
    var position = vec4<i32>(0);
    for (var wR = 0; wR < uniforms.filterH; wR++) {
      let xR = xR0 + wR;
      if (xR < 0 || xR >= uniforms.inH) {
        continue;
      }
      for (var wC = 0; wC < uniforms.filterW; wC++) {
        let xC = xC0 + wC;
        if (xC < 0 || xC >= uniforms.inW) {
          continue;
        }
        let value = x[((n * uniforms.inH + xR) * uniforms.inW + xC) * uniforms.channels4 + c4];
        let isMax = value >= mix(value, maxValue, found);
        maxValue = select(maxValue, value, isMax);
        found = select(found, vec4<f32>(1.0), isMax);
        position = select(position, vec4<i32>(wR * uniforms.filterW + wC), isMax);
      }
    }
    return position;
  }
`;

/** WGSL body: dx at `index` (4 channels of one pixel), summed over the windows that cover it. */
const BODY = `
  let c4 = index % uniforms.channels4;
  let pixel = index / uniforms.channels4;
  let xC = pixel % uniforms.inW;
  let xR = (pixel / uniforms.inW) % uniforms.inH;
  let n = pixel / (uniforms.inW * uniforms.inH);
  // dy rows and columns whose window covers (xR, xC), as tfjs's backprop program walks them.
  let dyR0 = xR - (uniforms.filterH - 1 - uniforms.top);
  let dyC0 = xC - (uniforms.filterW - 1 - uniforms.left);
  let lastIndex = uniforms.filterH * uniforms.filterW - 1;
  var out = vec4<f32>(0.0);
  for (var wR = 0; wR < uniforms.filterH; wR++) {
    let r = dyR0 + wR;
    if (r < 0 || r % uniforms.strideH != 0 || r / uniforms.strideH >= uniforms.outH) {
      continue;
    }
    let idyR = r / uniforms.strideH;
    for (var wC = 0; wC < uniforms.filterW; wC++) {
      let q = dyC0 + wC;
      if (q < 0 || q % uniforms.strideW != 0 || q / uniforms.strideW >= uniforms.outW) {
        continue;
      }
      let idyC = q / uniforms.strideW;
      let dyValue = dy[((n * uniforms.outH + idyR) * uniforms.outW + idyC) * uniforms.channels4 + c4];
      let hit = vec4<i32>(lastIndex) - windowArgmax(n, idyR, idyC, c4) == vec4<i32>(wR * uniforms.filterW + wC);
      out += dyValue * select(vec4<f32>(0.0), vec4<f32>(1.0), hit);
    }
  }
`;

/** A flat program with a helper function before `main`. */
class MaxPoolGradProgram extends ElementwiseProgram {
  constructor(shape: number[]) {
    super(
      "ourMaxPoolGrad",
      ["dy", "x"],
      "inH : i32, inW : i32, outH : i32, outW : i32, channels4 : i32, strideH : i32, strideW : i32, " +
        "top : i32, left : i32, filterH : i32, filterW : i32, ",
      shape,
      BODY,
      true,
    );
  }

  override getUserCode(): string {
    return WINDOW_ARGMAX + super.getUserCode();
  }
}

/** `MaxPoolGrad` ({ dy, input, output } → dx) as one `vec4` program; tfjs's kernel where that does not fit. */
export const maxPoolGradWebGpu: KernelFn = (args) => {
  const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const c = poolInfo(input, args.attrs ?? {});
  if (
    input.dtype !== "float32" || c.inChannels % 4 !== 0 || c.dilationHeight !== 1 || c.dilationWidth !== 1
  ) {
    return stockFallback("MaxPoolGrad", WEBGPU_BACKEND, "only float32 with channels in 4s is ours")(args);
  }
  const program = new MaxPoolGradProgram(input.shape);
  return runProgram(args.backend, program, [dy, input], [
    c.inHeight,
    c.inWidth,
    c.outHeight,
    c.outWidth,
    c.inChannels / 4,
    c.strideHeight,
    c.strideWidth,
    c.padInfo.top,
    c.padInfo.left,
    c.effectiveFilterHeight,
    c.effectiveFilterWidth,
  ]);
};
