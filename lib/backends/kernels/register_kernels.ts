/**
 * The one place our kernels are registered (process-wide, by backend name), as tfjs's `register_all_kernels`:
 * each kernel file exports its kernel configs or kernel functions, and this module installs them.
 *
 * - {@link registerTrainingKernels}: the replaceable stock kernels (convolutions and their gradients, MaxPoolGrad,
 *   Relu, BatchMatMul and _FusedMatMul, Sum and Mean, Identity, Slice), chosen per backend; the stock one stays callable
 *   (kernel_registry.ts).
 * - {@link registerWebGpuKernels}: kernels of our own names for our webgpu backend (batch norm, fused SGD, the
 *   in-place updates).
 * - {@link registerWasmKernels}: the same batch-norm kernels for wasm, over our SIMD module, and the fused ReLU
 *   gradient (relu_grad.ts).
 *
 * Call before or after the backend initialises; kernels are looked up at dispatch time.
 */
import type * as tf from "@tensorflow/tfjs-core";
import { getKernel, registerKernel, unregisterKernel } from "@tensorflow/tfjs-core";
import { BATCH_NORM_KERNELS, MOVING_AVERAGES_IN_PLACE_KERNELS } from "./webgpu_batch_norm.ts";
import { FUSED_SGD_KERNELS } from "./fused_sgd.ts";
import { SGD_IN_PLACE_KERNELS } from "./webgpu_sgd_in_place.ts";
import { WASM_BATCH_NORM_KERNELS } from "./wasm_batch_norm.ts";
import { WASM_RELU_GRAD_KERNELS, WEBGPU_RELU_GRAD_KERNELS } from "./relu_grad.ts";
import { filterGradIm2col, filterGradTconv, inputGradXconv } from "./conv_grad.ts";
import { filterGradDirectWebGpu, filterGradTiledWebGpu } from "./webgpu_filter_grad.ts";
import {
  conv2dGemmWebGpu,
  fusedConv2dGemmWebGpu,
  inputGradDirectWebGpu,
  inputGradGemmWebGpu,
} from "./webgpu_conv2d.ts";
import { batchMatMulTransposed } from "./batch_mat_mul.ts";
import { maxPoolGradCpu, maxPoolGradWasm } from "./max_pool_grad.ts";
import { maxPoolGradWebGpu } from "./webgpu_max_pool_grad.ts";
import { reluVec4WebGpu } from "./webgpu_relu.ts";
import { matMulSmallTilesWebGpu } from "./webgpu_mat_mul.ts";
import { filterGradSimd, inputGradSimd, maxPoolGradSimd, sliceSimd } from "./wasm_simd.ts";
import { sharedIdentityWasm } from "./shared_identity.ts";
import { conv2dWinograd, filterGradWinograd, inputGradWinograd } from "./wasm_winograd.ts";
import { meanWasm, meanWasmSimd, sumWasm, sumWasmSimd } from "./reductions.ts";
import { type KernelFn, replaceKernel, requireStockKernel, restoreKernel } from "./kernel_registry.ts";
import { WEBGPU_BACKEND } from "../webgpu/name.ts";

/** Which implementation each replaceable kernel uses; `stock` keeps (or restores) the backend's own. */
export interface TrainingKernelChoice {
  /**
   * `Conv2D` and `FusedConv2D` (forward): `gemm` (implicit-GEMM WGSL, webgpu_conv2d.ts) and `direct` (the same,
   * with webgpu_conv_direct.ts at stride 1) are webgpu only;
   * `winograd` (F(4×4, 3×3) in our wasm SIMD module, wasm_winograd.ts; `Conv2D` only) is wasm only.
   */
  conv: "gemm" | "direct" | "winograd" | "stock";
  /**
   * `Conv2DBackpropFilter`. wasm has no stock one; `simd` (our threaded wasm SIMD kernel, wasm_simd.ts) and
   * `winograd` (F(3×3, 4×4) in the same module, wasm_winograd.ts, falling back to `simd`) are wasm only;
   * `tiled` (a split-K WGSL shader, webgpu_filter_grad.ts) and `direct` (webgpu_filter_grad_direct.ts at stride 1,
   * `tiled` elsewhere) are webgpu only.
   */
  filterGrad: "tconv" | "im2col" | "simd" | "winograd" | "tiled" | "direct" | "stock";
  /**
   * `Conv2DBackpropInput`: `gemm` (implicit-GEMM WGSL, webgpu_conv2d.ts), `direct` (webgpu_conv_direct.ts at
   * stride 1, the stock shader elsewhere) and `direct-transposed` (the same reading a transposed filter: one more
   * dispatch, adjacent reads, the same bits) are webgpu only; `simd` (our direct
   * SIMD kernel, any stride, falling back to `xconv`) and `winograd` (as for `conv`, 3×3 stride 1, falling back
   * to `simd`) are wasm only.
   */
  inputGrad: "xconv" | "gemm" | "direct" | "direct-transposed" | "simd" | "winograd" | "stock";
  /**
   * `MaxPoolGrad`: `js` exists for wasm and cpu only, `simd` (the same bits) for wasm only, `wgsl` (one `vec4`
   * pass instead of tfjs's two, the same bits as tfjs's, webgpu_max_pool_grad.ts) for webgpu only.
   */
  maxPoolGrad: "js" | "simd" | "wgsl" | "stock";
  /** `Relu`: `vec4` (tfjs's expression over `vec4`s, the same bits, webgpu_relu.ts) is webgpu only. */
  relu: "vec4" | "stock";
  /**
   * `BatchMatMul` with transposes: `transpose` is meant for wasm. `small-tiles` (`BatchMatMul` and
   * `_FusedMatMul`: tfjs's small-output program for thin products, webgpu_mat_mul.ts) is webgpu only.
   */
  matMul: "transpose" | "small-tiles" | "stock";
  /**
   * `Sum` and `Mean` over leading or middle axes (reductions.ts, bit-identical to stock): `js` (a JavaScript
   * loop) and `simd` (the same loop in our SIMD module, threaded) are wasm only.
   */
  reductions: "js" | "simd" | "stock";
  /** `Identity`: `share` (shared_identity.ts: the input's data by reference, not a copy) is wasm only. */
  identity: "share" | "stock";
  /** `Slice`: `simd` (a threaded copy in our SIMD module, wasm_simd.ts, the same bits) is wasm only. */
  slice: "simd" | "stock";
}

/** Per backend: wasm and cpu as measured best by bench/train.ts; webgpu as measured by bench/gpu/. */
export const DEFAULT_KERNELS: Record<"wasm" | "webgpu" | "cpu", TrainingKernelChoice> = {
  wasm: {
    conv: "winograd",
    filterGrad: "winograd",
    inputGrad: "winograd",
    maxPoolGrad: "simd",
    relu: "stock",
    matMul: "transpose",
    reductions: "simd",
    identity: "share",
    slice: "simd",
  },
  // conv and inputGrad direct: the stock kernels' results bit for bit (webgpu_conv2d_test.ts, also on the GPU);
  // on an H100 ResNet20's forward convolutions took 1.24 ms a step against 2.76 for gemm, dx 1.84 against 2.62
  // for the stock shader (bench/gpu/results run 13). inputGrad gemm was slower than the stock shader (run 11).
  // Run 15 (H200, one call): filterGrad direct took ResNet20's dW from 2.87 to 1.32 ms a step, and dx reading a
  // transposed filter (direct-transposed, the same bits as direct) from 1.83 to 1.20 ms; with both, step-graph
  // training went from 15,763 to 21,568 img/s at batch 128 and from 20,236 to 32,381 at 512.
  // Run 18 (H100, one call): maxPoolGrad wgsl, relu vec4, matMul small-tiles, the vec4 batch-norm programs and the
  // padded first layers took the cnn at batch 512 from 125k to 159k img/s (170k with tfjs's small-output matmul
  // forced), ResNet20 at 512 from 32.5k to 38.6k.
  webgpu: {
    conv: "direct",
    filterGrad: "direct",
    inputGrad: "direct-transposed",
    maxPoolGrad: "wgsl",
    relu: "vec4",
    matMul: "small-tiles",
    reductions: "stock",
    identity: "stock",
    slice: "stock",
  },
  cpu: {
    conv: "stock",
    filterGrad: "tconv",
    inputGrad: "xconv",
    maxPoolGrad: "js",
    relu: "stock",
    matMul: "stock",
    reductions: "stock",
    identity: "stock",
    slice: "stock",
  },
};

const maxPoolGradJs: Record<string, KernelFn> = { wasm: maxPoolGradWasm, cpu: maxPoolGradCpu };

/** The choices (`key:value`) that exist on one backend only: WGSL shaders, and kernels on the wasm heap. */
const ONE_BACKEND: Record<string, "wasm" | "webgpu"> = {
  "conv:gemm": "webgpu",
  "conv:direct": "webgpu",
  "inputGrad:gemm": "webgpu",
  "inputGrad:direct": "webgpu",
  "inputGrad:direct-transposed": "webgpu",
  "filterGrad:tiled": "webgpu",
  "filterGrad:direct": "webgpu",
  "conv:winograd": "wasm",
  "inputGrad:simd": "wasm",
  "inputGrad:winograd": "wasm",
  "filterGrad:simd": "wasm",
  "filterGrad:winograd": "wasm",
  "maxPoolGrad:simd": "wasm",
  "maxPoolGrad:wgsl": "webgpu",
  "relu:vec4": "webgpu",
  "matMul:small-tiles": "webgpu",
  "reductions:js": "wasm",
  "reductions:simd": "wasm",
  "identity:share": "wasm",
  "slice:simd": "wasm",
};

function install(kernelName: string, backendName: string, fn: KernelFn | undefined) {
  if (fn) replaceKernel(kernelName, backendName, fn);
  else restoreKernel(kernelName, backendName);
}

/**
 * Installs the chosen kernels on `backendName` ("wasm", "webgpu" — meaning our webgpu backend,
 * {@link WEBGPU_BACKEND} — or "cpu") and returns the names of the kernels
 * that are now ours.
 *
 * @example
 * registerTrainingKernels("wasm"); // Winograd conv, dx and dW, SIMD MaxPoolGrad, transposed matMul,
 * // SIMD Sum/Mean, shared Identity, SIMD Slice
 * registerTrainingKernels("webgpu", { filterGrad: "tconv" });
 */
export function registerTrainingKernels(
  backendName: "wasm" | "webgpu" | "cpu",
  choice: Partial<TrainingKernelChoice> = {},
): string[] {
  const c = { ...DEFAULT_KERNELS[backendName], ...choice };
  if (backendName === "wasm" && c.filterGrad === "stock") {
    throw new Error(
      "filterGrad 'stock' on wasm: the wasm backend has no Conv2DBackpropFilter; use tconv or im2col",
    );
  }
  for (const [key, value] of Object.entries(c)) {
    const only = ONE_BACKEND[`${key}:${value}`];
    if (only && only !== backendName) {
      const what = only === "webgpu" ? "is a WGSL shader" : "runs on the wasm heap";
      throw new Error(`${key} '${value}' ${what}: ${only} only, not '${backendName}'`);
    }
  }
  if (c.maxPoolGrad === "js" && !maxPoolGradJs[backendName]) {
    throw new Error(`maxPoolGrad 'js' exists for wasm and cpu only, not '${backendName}'`);
  }
  const target = backendName === "webgpu" ? WEBGPU_BACKEND : backendName;
  const tconv = filterGradTconv(backendName);
  const filterGrad = {
    tconv,
    im2col: filterGradIm2col(backendName),
    simd: c.filterGrad === "simd" ? filterGradSimd(tconv) : undefined,
    winograd: c.filterGrad === "winograd" ? filterGradWinograd(filterGradSimd(tconv)) : undefined,
    tiled: c.filterGrad === "tiled" ? filterGradTiledWebGpu() : undefined,
    direct: c.filterGrad === "direct" ? filterGradDirectWebGpu() : undefined,
    stock: undefined,
  }[c.filterGrad];
  const conv = {
    gemm: c.conv === "gemm" ? conv2dGemmWebGpu() : undefined,
    direct: c.conv === "direct" ? conv2dGemmWebGpu(true) : undefined,
    winograd: c.conv === "winograd" ? conv2dWinograd(requireStockKernel("Conv2D", target)) : undefined,
    stock: undefined,
  }[c.conv];
  install("Conv2D", target, conv);
  const wgslConv = c.conv === "gemm" || c.conv === "direct";
  install("FusedConv2D", target, wgslConv ? fusedConv2dGemmWebGpu(c.conv === "direct") : undefined);
  install("Conv2DBackpropFilter", target, filterGrad);
  const xconv = inputGradXconv(backendName);
  const inputGradDirect = backendName === "wasm" ? inputGradSimd(xconv) : undefined;
  install(
    "Conv2DBackpropInput",
    target,
    {
      xconv,
      gemm: c.inputGrad === "gemm" ? inputGradGemmWebGpu() : undefined,
      direct: c.inputGrad === "direct" ? inputGradDirectWebGpu() : undefined,
      "direct-transposed": c.inputGrad === "direct-transposed" ? inputGradDirectWebGpu("hwoi") : undefined,
      simd: inputGradDirect,
      winograd: inputGradDirect && inputGradWinograd(inputGradDirect),
      stock: undefined,
    }[c.inputGrad],
  );
  install(
    "MaxPoolGrad",
    target,
    { js: maxPoolGradJs[backendName], simd: maxPoolGradSimd(), wgsl: maxPoolGradWebGpu, stock: undefined }[
      c.maxPoolGrad
    ],
  );
  install("Relu", target, c.relu === "vec4" ? reluVec4WebGpu : undefined);
  install(
    "BatchMatMul",
    target,
    {
      transpose: batchMatMulTransposed(backendName),
      "small-tiles": matMulSmallTilesWebGpu("BatchMatMul"),
      stock: undefined,
    }[c.matMul],
  );
  install(
    "_FusedMatMul",
    target,
    c.matMul === "small-tiles" ? matMulSmallTilesWebGpu("_FusedMatMul") : undefined,
  );
  install("Sum", target, { js: sumWasm, simd: sumWasmSimd(), stock: undefined }[c.reductions]);
  install("Mean", target, { js: meanWasm, simd: meanWasmSimd(), stock: undefined }[c.reductions]);
  install("Identity", target, c.identity === "share" ? sharedIdentityWasm : undefined);
  install("Slice", target, c.slice === "simd" ? sliceSimd(requireStockKernel("Slice", target)) : undefined);
  const ours: [string, string][] = [
    ["Conv2D", c.conv],
    ["FusedConv2D", wgslConv ? c.conv : "stock"],
    ["Conv2DBackpropFilter", c.filterGrad],
    ["Conv2DBackpropInput", c.inputGrad],
    ["MaxPoolGrad", c.maxPoolGrad],
    ["Relu", c.relu],
    ["BatchMatMul", c.matMul],
    ["_FusedMatMul", c.matMul === "small-tiles" ? c.matMul : "stock"],
    ["Sum", c.reductions],
    ["Mean", c.reductions],
    ["Identity", c.identity],
    ["Slice", c.slice],
  ];
  return ours.filter(([, v]) => v !== "stock").map(([k, v]) => `${k}:${v}`);
}

/**
 * The kernels of our own names, by group, for our webgpu backend. `inPlace` (the SGD step of many variables and
 * the moving averages, updated in place by whole programs) takes over from `fusedSgd` and `batchNorm`'s
 * moving-average kernel where it is registered.
 */
export const WEBGPU_KERNELS = {
  batchNorm: BATCH_NORM_KERNELS,
  fusedSgd: FUSED_SGD_KERNELS,
  reluGrad: WEBGPU_RELU_GRAD_KERNELS,
  inPlace: [...SGD_IN_PLACE_KERNELS, ...MOVING_AVERAGES_IN_PLACE_KERNELS],
} as const;

/**
 * The kernels of our own names, by group, for wasm (the same batch-norm kernels, over our SIMD module, and the
 * fused ReLU gradient that relu_grad.ts's gradient uses where it is registered).
 */
export const WASM_KERNELS = { batchNorm: WASM_BATCH_NORM_KERNELS, reluGrad: WASM_RELU_GRAD_KERNELS } as const;

type KernelGroups = Record<string, readonly tf.KernelConfig[]>;

function registerGroups(table: KernelGroups, groups: readonly string[]): string[] {
  const configs = groups.flatMap((g) => table[g]);
  for (const config of configs) {
    if (!getKernel(config.kernelName, config.backendName)) registerKernel(config);
  }
  return configs.map((c) => c.kernelName);
}

function unregisterGroups(table: KernelGroups, groups: readonly string[]): void {
  for (const config of groups.flatMap((g) => table[g])) {
    if (getKernel(config.kernelName, config.backendName)) {
      unregisterKernel(config.kernelName, config.backendName);
    }
  }
}

/**
 * Registers `groups` of {@link WEBGPU_KERNELS} (default: all) for our webgpu backend; idempotent. Returns the
 * kernel names.
 *
 * @example
 * registerWebGpuKernels(); // ["OurBatchNormStats", …, "OurSgdWeight", "OurReluGrad", "OurSgdInPlace", …]
 */
export function registerWebGpuKernels(
  groups: readonly (keyof typeof WEBGPU_KERNELS)[] = ["batchNorm", "fusedSgd", "reluGrad", "inPlace"],
): string[] {
  return registerGroups(WEBGPU_KERNELS, groups);
}

/**
 * Unregisters `groups` of {@link WEBGPU_KERNELS} (e.g. to benchmark without them).
 *
 * @example
 * unregisterWebGpuKernels(["batchNorm"]);
 */
export function unregisterWebGpuKernels(groups: readonly (keyof typeof WEBGPU_KERNELS)[]): void {
  unregisterGroups(WEBGPU_KERNELS, groups);
}

/**
 * Registers `groups` of {@link WASM_KERNELS} (default: all) for wasm; idempotent. Returns the kernel names.
 *
 * @example
 * registerWasmKernels(); // ["OurBatchNormStats", …, "OurMovingAverage", "OurReluGrad"]
 */
export function registerWasmKernels(
  groups: readonly (keyof typeof WASM_KERNELS)[] = ["batchNorm", "reluGrad"],
): string[] {
  return registerGroups(WASM_KERNELS, groups);
}

/**
 * Unregisters `groups` of {@link WASM_KERNELS} (batch norm and the ReLU gradient then run as tf ops, as before
 * they existed).
 *
 * @example
 * unregisterWasmKernels(["batchNorm"]);
 */
export function unregisterWasmKernels(groups: readonly (keyof typeof WASM_KERNELS)[]): void {
  unregisterGroups(WASM_KERNELS, groups);
}
