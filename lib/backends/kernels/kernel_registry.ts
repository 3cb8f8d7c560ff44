/**
 * Replacing a backend's kernels while keeping the stock ones callable.
 *
 * A composed kernel calls the backend's own kernel functions on `TensorInfo`s, so the stock function of a kernel
 * we replace must stay reachable. The stock `setupFunc` stays on the new registration: on wasm it binds the C++
 * export the stock kernel function still needs, and it only runs when the backend initialises.
 */
import * as tf from "@tensorflow/tfjs-core";

/** A kernel function over `TensorInfo`s, as the backend registry stores it. */
export type KernelFn = (
  args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: tf.KernelBackend },
) => tf.TensorInfo;

const stock = new Map<string, tf.KernelConfig>();
const key = (kernelName: string, backendName: string) => `${backendName}/${kernelName}`;

/** The stock kernel function (even after we replaced it), or undefined when the backend has none. */
export function stockKernel(kernelName: string, backendName: string): KernelFn | undefined {
  const config = stock.get(key(kernelName, backendName)) ?? tf.getKernel(kernelName, backendName);
  return config?.kernelFunc as KernelFn | undefined;
}

/** Like {@link stockKernel}, but throws naming the kernel when the backend lacks it. */
export function requireStockKernel(kernelName: string, backendName: string): KernelFn {
  const fn = stockKernel(kernelName, backendName);
  if (!fn) throw new Error(`backend '${backendName}' has no kernel '${kernelName}'`);
  return fn;
}

/**
 * The stock kernel, for a case our kernel does not cover (`why`); throws naming both when the backend has none.
 *
 * @example
 * if (!isNhwc(attrs)) return stockFallback("Conv2D", "webgpu", "only NHWC is ours")(args);
 */
export function stockFallback(kernelName: string, backendName: string, why: string): KernelFn {
  const fn = stockKernel(kernelName, backendName);
  if (fn) return fn;
  throw new Error(`${kernelName} on '${backendName}': ${why}, and the backend has no stock kernel for it`);
}

/**
 * Installs `kernelFunc` as `kernelName` on `backendName`, remembering the stock registration the first time.
 * Calling it again replaces our kernel; the remembered stock one is never overwritten.
 */
export function replaceKernel(kernelName: string, backendName: string, kernelFunc: KernelFn): void {
  const k = key(kernelName, backendName);
  const current = tf.getKernel(kernelName, backendName);
  if (current && !stock.has(k)) stock.set(k, current);
  if (current) tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel({
    kernelName,
    backendName,
    setupFunc: stock.get(k)?.setupFunc,
    kernelFunc: kernelFunc as unknown as tf.KernelFunc,
  });
}

/** Puts the stock kernel back (a no-op when we never replaced it). */
export function restoreKernel(kernelName: string, backendName: string): void {
  const config = stock.get(key(kernelName, backendName));
  if (!config) return;
  tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel(config);
}

/**
 * Runs stock kernels of one backend and frees every intermediate on `release`.
 *
 * @example
 * const s = scratch(backend, "wasm");
 * const t = s.run("Transpose", { x }, { perm: [1, 0] });
 * const out = s.run("BatchMatMul", { a: t, b }, { transposeA: false, transposeB: false }, true);
 * s.release(); // frees t, keeps out
 */
export function scratch(backend: tf.KernelBackend, backendName: string) {
  const temps: tf.TensorInfo[] = [];
  return {
    /** Runs a stock kernel; its output is freed on `release` unless `keep` is true. */
    run(
      kernelName: string,
      inputs: tf.NamedTensorInfoMap | tf.TensorInfo[],
      attrs: tf.NamedAttrMap = {},
      keep = false,
    ) {
      // Variadic kernels (Concat, AddN) take an array.
      const named = inputs as tf.NamedTensorInfoMap;
      const out = requireStockKernel(kernelName, backendName)({ inputs: named, attrs, backend });
      if (!keep) temps.push(out);
      return out;
    },
    /** Frees all non-kept outputs. */
    release() {
      for (const t of temps) backend.disposeData(t.dataId);
      temps.length = 0;
    },
  };
}
