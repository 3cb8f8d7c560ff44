/**
 * `MaxPoolGrad` on webgpu as one `vec4` program. tfjs's kernel takes two full passes: one writes every window's
 * argmax (an int32 tensor the size of dy), the next reads it back for each element of dx. Here each
 * invocation computes 4 channels of one dx pixel and finds the argmax of each window that covers it itself.
 * The window's argmax is tfjs's (`Pool2DProgram` with positions: the last position whose value is ≥ the running
 * maximum, with its `mix`), and dx sums `dy · mask` over the covering windows in tfjs's order, so the result is
 * the stock kernel's, bit for bit (tests/lib/backends/kernels/webgpu_elementwise_test.ts). Windows that tile
 * the image (stride = window, no padding: the cnn's 2×2 pools) take {@link MaxPoolGradWindowsProgram} instead:
 * one invocation a window, which finds its argmax once and writes every pixel under it. Channel counts that
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
import { ceilDiv, ElementwiseProgram, runProgram, type WebGpuProgram } from "../webgpu/program.ts";
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
      // out + p, with its zeros +0 as IEEE's sum makes them (from +0 no sum is −0), so that a compiler that
      // peels the loop and folds 0.0 + p to p cannot keep a −0.
      let sum = out + dyValue * select(vec4<f32>(0.0), vec4<f32>(1.0), hit);
      out = select(sum, vec4<f32>(0.0), sum == vec4<f32>(0.0));
    }
  }
`;

/** The pooling geometry, as uniforms (in the order of {@link geometry}). */
const MAX_POOL_UNIFORMS = "inH : i32, inW : i32, outH : i32, outW : i32, channels4 : i32, strideH : i32, " +
  "strideW : i32, top : i32, left : i32, filterH : i32, filterW : i32, ";

/** {@link MAX_POOL_UNIFORMS}' values for the pooling `c`. */
const geometry = (c: tf.backend_util.Conv2DInfo) => [
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
];

/** A flat program with a helper function before `main`. */
class MaxPoolGradProgram extends ElementwiseProgram {
  constructor(shape: number[]) {
    super(
      "ourMaxPoolGrad",
      ["dy", "x"],
      MAX_POOL_UNIFORMS,
      shape,
      BODY,
      true,
    );
  }

  override getUserCode(): string {
    return WINDOW_ARGMAX + super.getUserCode();
  }
}

const WINDOWS_THREADS = 128;

/**
 * dx of a max pool whose windows tile the image (stride = window size, no padding): invocation (n, window,
 * 4 channels) finds the window's argmax once and writes dx under the window, `0 + dy · mask` (what tfjs's
 * backprop sums for a pixel one window covers: a −0 product becomes +0); pixels past the last whole window
 * (when the window does not divide the size) get 0, as no window covers them.
 */
class MaxPoolGradWindowsProgram implements WebGpuProgram {
  outputShape: number[];
  shaderKey = "ourMaxPoolGradWindows";
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [WINDOWS_THREADS, 1, 1];
  variableNames = ["dy", "x"];
  variableComponents = [4, 4];
  outputComponent = 4;
  uniforms = MAX_POOL_UNIFORMS + "windowsH : i32, windowsW : i32, windows : i32, ";

  /** Program for input `shape` [N, H, W, C] and the window count along rows and columns (ceil(H / size)…). */
  constructor(shape: number[], windowsH: number, windowsW: number) {
    this.outputShape = shape;
    this.dispatchLayout = { x: shape.map((_, i) => i) };
    this.dispatch = [ceilDiv(shape[0] * windowsH * windowsW * (shape[3] / 4), WINDOWS_THREADS), 1, 1];
  }

  getUserCode(): string {
    return `${WINDOW_ARGMAX}
      fn main(index : i32) {
        if (index >= uniforms.windows) {
          return;
        }
        let c4 = index % uniforms.channels4;
        let window = index / uniforms.channels4;
        let wc = window % uniforms.windowsW;
        let wr = (window / uniforms.windowsW) % uniforms.windowsH;
        let n = window / (uniforms.windowsW * uniforms.windowsH);
        let whole = wr < uniforms.outH && wc < uniforms.outW;
        var position = vec4<i32>(-1);
        var dyValue = vec4<f32>(0.0);
        if (whole) {
          position = windowArgmax(n, wr, wc, c4);
          dyValue = dy[((n * uniforms.outH + wr) * uniforms.outW + wc) * uniforms.channels4 + c4];
        }
        for (var i = 0; i < uniforms.filterH; i++) {
          let xR = wr * uniforms.filterH + i;
          for (var j = 0; j < uniforms.filterW; j++) {
            let xC = wc * uniforms.filterW + j;
            if (xR < uniforms.inH && xC < uniforms.inW) {
              var value = vec4<f32>(0.0);
              if (whole) {
                let hit = position == vec4<i32>(i * uniforms.filterW + j);
                // 0 + p, spelled out: a compiler may fold 0.0 + p to p, which keeps a −0 that the sum makes +0.
                let p = dyValue * select(vec4<f32>(0.0), vec4<f32>(1.0), hit);
                value = select(p, vec4<f32>(0.0), p == vec4<f32>(0.0));
              }
              result[((n * uniforms.inH + xR) * uniforms.inW + xC) * uniforms.channels4 + c4] = value;
            }
          }
        }
      }
    `;
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
  const tiles = c.strideHeight === c.effectiveFilterHeight && c.strideWidth === c.effectiveFilterWidth &&
    c.padInfo.top === 0 && c.padInfo.left === 0;
  if (tiles) {
    const [windowsH, windowsW] = [ceilDiv(c.inHeight, c.strideHeight), ceilDiv(c.inWidth, c.strideWidth)];
    const program = new MaxPoolGradWindowsProgram(input.shape, windowsH, windowsW);
    const windows = c.batchSize * windowsH * windowsW * (c.inChannels / 4);
    return runProgram(args.backend, program, [dy, input], [...geometry(c), windowsH, windowsW, windows]);
  }
  const program = new MaxPoolGradProgram(input.shape);
  return runProgram(args.backend, program, [dy, input], geometry(c));
};
