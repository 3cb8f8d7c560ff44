/**
 * Installs our training kernels on a backend (process-wide, by backend name).
 *
 * Call before or after the backend initialises; kernels are looked up at dispatch time.
 */
import { filterGradIm2col, filterGradTconv, inputGradXconv } from "./conv_grad.ts";
import { filterGradTiledWebGpu } from "./webgpu_filter_grad.ts";
import { batchMatMulTransposed } from "./batch_mat_mul.ts";
import { maxPoolGradCpu, maxPoolGradWasm } from "./max_pool_grad.ts";
import { type KernelFn, replaceKernel, restoreKernel } from "./kernel_registry.ts";

/** Which implementation each replaceable kernel uses; `stock` keeps (or restores) the backend's own. */
export interface TrainingKernelChoice {
  /** `Conv2DBackpropFilter`. wasm has no stock one; `tiled` (a split-K WGSL shader) is webgpu only. */
  filterGrad: "tconv" | "im2col" | "tiled" | "stock";
  /** `Conv2DBackpropInput`. */
  inputGrad: "xconv" | "stock";
  /** `MaxPoolGrad`: `js` exists for wasm and cpu only. */
  maxPoolGrad: "js" | "stock";
  /** `BatchMatMul` with transposes: `transpose` is meant for wasm. */
  matMul: "transpose" | "stock";
}

/** Per backend: wasm and cpu as measured best in backends.md §2, §4; webgpu as measured by bench/gpu/. */
export const DEFAULT_KERNELS: Record<"wasm" | "webgpu" | "cpu", TrainingKernelChoice> = {
  wasm: { filterGrad: "tconv", inputGrad: "xconv", maxPoolGrad: "js", matMul: "transpose" },
  // The stock webgpu dx is fast on an H200 (2.7 ms per ResNet20 step); only dW needs replacing there.
  webgpu: { filterGrad: "tiled", inputGrad: "stock", maxPoolGrad: "stock", matMul: "stock" },
  cpu: { filterGrad: "tconv", inputGrad: "xconv", maxPoolGrad: "js", matMul: "stock" },
};

const maxPoolGradJs: Record<string, KernelFn> = { wasm: maxPoolGradWasm, cpu: maxPoolGradCpu };

function install(kernelName: string, backendName: string, fn: KernelFn | undefined) {
  if (fn) replaceKernel(kernelName, backendName, fn);
  else restoreKernel(kernelName, backendName);
}

/**
 * Installs the chosen kernels on `backendName` ("wasm", "webgpu" or "cpu") and returns the names of the kernels
 * that are now ours.
 *
 * @example
 * registerTrainingKernels("wasm"); // tconv dW, xconv dx, JS MaxPoolGrad, transposed matMul
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
  if (c.filterGrad === "tiled" && backendName !== "webgpu") {
    throw new Error(`filterGrad 'tiled' is a WGSL shader for webgpu only, not '${backendName}'`);
  }
  if (c.maxPoolGrad === "js" && !maxPoolGradJs[backendName]) {
    throw new Error(`maxPoolGrad 'js' exists for wasm and cpu only, not '${backendName}'`);
  }
  const filterGrad = {
    tconv: filterGradTconv(backendName),
    im2col: filterGradIm2col(backendName),
    tiled: c.filterGrad === "tiled" ? filterGradTiledWebGpu() : undefined,
    stock: undefined,
  }[c.filterGrad];
  install("Conv2DBackpropFilter", backendName, filterGrad);
  install(
    "Conv2DBackpropInput",
    backendName,
    c.inputGrad === "xconv" ? inputGradXconv(backendName) : undefined,
  );
  install("MaxPoolGrad", backendName, c.maxPoolGrad === "js" ? maxPoolGradJs[backendName] : undefined);
  install(
    "BatchMatMul",
    backendName,
    c.matMul === "transpose" ? batchMatMulTransposed(backendName) : undefined,
  );
  const ours: [string, string][] = [
    ["Conv2DBackpropFilter", c.filterGrad],
    ["Conv2DBackpropInput", c.inputGrad],
    ["MaxPoolGrad", c.maxPoolGrad],
    ["BatchMatMul", c.matMul],
  ];
  return ours.filter(([, v]) => v !== "stock").map(([k, v]) => `${k}:${v}`);
}
