/**
 * Backend selection for training: picks and initialises a tfjs backend, installs our kernels and the fast
 * BatchNorm gradient, and describes what it got as JSON-able {@link BackendInfo}.
 *
 * Call {@link initBackend} once, before creating any tensor or model.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import * as wasm from "@tensorflow/tfjs-backend-wasm";
import "@tensorflow/tfjs-backend-webgpu";
import { createRequire } from "node:module";
import { registerFastBatchNormGrad } from "./kernels/batch_norm_grad.ts";
import {
  registerTrainingKernels,
  registerWasmKernels,
  registerWebGpuKernels,
} from "./kernels/register_kernels.ts";
import { registerReductionGrads } from "./kernels/reduction_grads.ts";
import { registerReluGrad } from "./kernels/relu_grad.ts";
import {
  useDispatchCache,
  usePrunedShaders,
  useQueueWriteUploads,
  WEBGPU_BACKEND,
} from "./webgpu/backend.ts";
import { loadTfjsNode } from "./tfjs_node.ts";
import { type AdapterSummary, probeWebGpuAdapter } from "./webgpu/adapter.ts";
import { enableWasmThreads } from "./wasm_threads.ts";

/** A concrete backend. */
export type BackendName = "tensorflow" | "webgpu" | "wasm" | "cpu";
/** What {@link initBackend} accepts: a backend, or `auto` for the first that works in {@link AUTO_ORDER}. */
export type BackendChoice = "auto" | BackendName;

/** The order `auto` tries. For webgpu, `auto` accepts only a hardware adapter. */
export const AUTO_ORDER: readonly BackendName[] = ["tensorflow", "webgpu", "wasm", "cpu"];

/** Options of {@link initBackend}. */
export interface BackendOptions {
  /** wasm threads (default: all cores). Fixed for the process once wasm has initialised. */
  threads?: number;
  /** webgpu: cache uniform buffers and bind groups across dispatches (default true; webgpu/dispatch_cache.ts). */
  dispatchCache?: boolean;
  /** webgpu: make shader modules without the functions they never call (default true; webgpu/wgsl_prune.ts). */
  prunedShaders?: boolean;
}

/** What was initialised, for metrics files and logs. */
export interface BackendInfo {
  backend: BackendName;
  /** Human-readable device, e.g. "AMD EPYC 7B13 (wasm SIMD, 2 threads)" or the GPU adapter's description. */
  device: string;
  /** Compute threads: wasm pool size, 1 for cpu, null where not ours to set (webgpu, tensorflow). */
  threads: number | null;
  /** Whether the wasm SIMD binary runs; null for other backends. */
  simd: boolean | null;
  /** Our kernels (on webgpu also gradient and upload changes) now installed, as "Kernel:variant". */
  kernels: string[];
  /** Whether the fast FusedBatchNorm gradient is registered. */
  fastBatchNormGrad: boolean;
  tfjsVersion: string;
  /** The WebGPU adapter (webgpu only). */
  adapter?: AdapterSummary;
  /** For `auto`: why each earlier candidate was not taken. */
  skipped?: string[];
}

function cpuModel(): string {
  const os = createRequire(import.meta.url)("node:os") as { cpus(): { model: string }[] };
  return os.cpus()[0]?.model?.trim() || "unknown CPU";
}

async function activate(name: string): Promise<void> {
  if (!(await tf.setBackend(name))) {
    throw new Error(`tf.setBackend("${name}") failed (see the warning above)`);
  }
  await tf.ready();
}

function baseInfo(backend: BackendName, device: string, kernels: string[]): BackendInfo {
  registerFastBatchNormGrad();
  return {
    backend,
    device,
    threads: null,
    simd: null,
    kernels,
    fastBatchNormGrad: true,
    tfjsVersion: tf.version_core,
  };
}

async function initWasm(threads: number): Promise<BackendInfo> {
  if (!Number.isInteger(threads) || threads < 1) {
    throw new Error(`wasm threads must be a positive integer, got ${threads}`);
  }
  const initialised = tf.findBackend("wasm") !== null;
  if (!initialised) {
    if (threads > 1) enableWasmThreads(threads);
    wasm.setThreadsCount(threads);
  }
  const kernels = [...registerTrainingKernels("wasm"), ...registerWasmKernels()];
  registerReluGrad(); // uses OurReluGrad where registered (wasm, webgpu), tfjs's own gradient elsewhere
  await activate("wasm");
  const actual = wasm.getThreadsCount();
  if (initialised && actual !== threads) {
    throw new Error(
      `wasm backend already initialised with ${actual} thread(s), ${threads} requested: the thread count is ` +
        `fixed at the first initialisation in a process`,
    );
  }
  const simd = Boolean(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"));
  const info = baseInfo("wasm", `${cpuModel()} (wasm${simd ? " SIMD" : ""}, ${actual} thread(s))`, kernels);
  return { ...info, threads: actual, simd };
}

async function initWebGpu(requireHardware: boolean, opts: BackendOptions): Promise<BackendInfo> {
  const adapter = await probeWebGpuAdapter();
  if (!adapter) {
    throw new Error(
      "no WebGPU adapter (install a Vulkan driver, or mesa-vulkan-drivers for the llvmpipe software adapter)",
    );
  }
  if (requireHardware && adapter.isFallbackAdapter) {
    throw new Error(`only a software WebGPU adapter is available (${adapter.description})`);
  }
  const kernels = registerTrainingKernels("webgpu");
  await activate(WEBGPU_BACKEND);
  registerReductionGrads();
  kernels.push("SumGrad/MeanGrad:fill", ...registerWebGpuKernels());
  registerReluGrad(); // OurReluGrad (registered just above) for Relu's gradient
  if (useQueueWriteUploads(tf.backend())) kernels.push("uploads:writeBuffer");
  if ((opts.prunedShaders ?? true) && usePrunedShaders(tf.backend())) kernels.push("shaders:pruned");
  if (opts.dispatchCache ?? true) {
    useDispatchCache(tf.backend());
    kernels.push("dispatch:cached-uniforms+bind-groups");
  }
  const device = adapter.description || `vendor ${adapter.vendor} device ${adapter.device}`;
  return { ...baseInfo("webgpu", device, kernels), adapter };
}

async function initOne(name: BackendName, opts: BackendOptions, auto: boolean): Promise<BackendInfo> {
  switch (name) {
    case "tensorflow": {
      const pkg = loadTfjsNode();
      await activate("tensorflow");
      return baseInfo("tensorflow", `libtensorflow via ${pkg}`, []);
    }
    case "webgpu":
      return await initWebGpu(auto, opts);
    case "wasm":
      return await initWasm(opts.threads ?? navigator.hardwareConcurrency);
    case "cpu": {
      const kernels = registerTrainingKernels("cpu");
      await activate("cpu");
      return { ...baseInfo("cpu", `${cpuModel()} (pure JS, 1 thread)`, kernels), threads: 1, simd: false };
    }
  }
}

/**
 * Initialises a backend for training and returns what it got.
 *
 * `auto` takes the first of {@link AUTO_ORDER} that works: tfjs-node (only if installed), webgpu on a hardware
 * adapter, wasm, cpu. An explicit `webgpu` also accepts a software adapter such as llvmpipe. `webgpu` activates
 * our WebGPU backend (webgpu/backend.ts, tfjs name {@link WEBGPU_BACKEND}). Under webgpu never
 * read tensors with `dataSync()`/`arraySync()`; use `await t.data()`.
 *
 * @example
 * const info = await initBackend("wasm", { threads: 2 });
 * // { backend: "wasm", device: "… (wasm SIMD, 2 thread(s))", threads: 2, simd: true, kernels: [...], ... }
 */
export async function initBackend(choice: BackendChoice, opts: BackendOptions = {}): Promise<BackendInfo> {
  if (choice !== "auto" && !AUTO_ORDER.includes(choice)) {
    throw new Error(`unknown backend '${choice}': use one of auto, ${AUTO_ORDER.join(", ")}`);
  }
  if (choice !== "auto") return await initOne(choice, opts, false);
  const skipped: string[] = [];
  for (const name of AUTO_ORDER) {
    try {
      const info = await initOne(name, opts, true);
      return { ...info, skipped };
    } catch (e) {
      skipped.push(`${name}: ${(e as Error).message}`);
    }
  }
  throw new Error(`no backend could be initialised: ${skipped.join("; ")}`);
}
