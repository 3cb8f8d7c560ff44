/**
 * `Sum` and `Mean` over leading or middle axes for wasm, as a JavaScript loop on the wasm heap.
 *
 * The stock wasm kernels transpose the input so that the reduced axes come last, then sum each output
 * sequentially. Batch norm's per-channel statistics and its gradients reduce NHWC tensors over N, H and W, and
 * the selectivity index averages over H·W: every one of those calls pays for a full transpose. Here a tensor of
 * shape [outer, r, inner] (the reduced axes contiguous, in the middle) is summed row by row into `inner`
 * float32 accumulators, which adds the same numbers in the same order as the stock kernel, one float32
 * rounding per addition: the results are identical bit for bit (tests/lib/backends/kernels/reductions_test.ts),
 * about twice as fast. The same loop runs as JavaScript (`js`) or as our SIMD kernel `sum_middle`
 * (lib/backends/wasm/simd/sum_middle.c, on the backend's threads; `simd`). Other reductions (the last axis among
 * them, non-float32 inputs, axes that are not contiguous and ascending) use the stock kernel.
 */
import * as tf from "@tensorflow/tfjs-core";
import { type KernelFn, requireStockKernel } from "./kernel_registry.ts";
import { heapAddress, type WasmHeapBackend } from "./wasm_heap.ts";
import { type PoolOf, SimdPool } from "../wasm/simd_pool.ts";

/** A reduction over contiguous axes seen as [outer, r, inner], with `inner` > 1. */
interface Split {
  outer: number;
  r: number;
  inner: number;
  outShape: number[];
}

const product = (xs: number[]) => xs.reduce((a, b) => a * b, 1);

/**
 * The [outer, r, inner] split of reducing `shape` over `axis`, or undefined when the loop does not apply (axes
 * not contiguous and ascending, the last axis reduced, nothing to reduce).
 *
 * @example
 * splitReduction([128, 28, 28, 32], [0, 1, 2], false); // { outer: 1, r: 100352, inner: 32, outShape: [32] }
 */
export function splitReduction(
  shape: number[],
  axis: number | number[],
  keepDims: boolean,
): Split | undefined {
  // Ascending as given: the stock kernel adds in the order the axes are listed.
  const axes = tf.util.parseAxisParam(axis, shape);
  if (axes.length === 0 || axes.some((a, i) => i > 0 && a !== axes[i - 1] + 1)) return undefined;
  const first = axes[0], last = axes[axes.length - 1];
  if (last === shape.length - 1) return undefined;
  const outShape = keepDims
    ? shape.map((d, i) => (i >= first && i <= last ? 1 : d))
    : shape.filter((_, i) => i < first || i > last);
  return {
    outer: product(shape.slice(0, first)),
    r: product(shape.slice(first, last + 1)),
    inner: product(shape.slice(last + 1)),
    outShape,
  };
}

/**
 * Sums `x` viewed as [outer, r, inner] over r into `out` ([outer, inner]), in float32, rows in order; divides
 * by r when `mean`.
 *
 * @example
 * const out = new Float32Array(2);
 * sumMiddleInto(Float32Array.of(1, 2, 3, 4, 5, 6), { outer: 1, r: 3, inner: 2 }, false, out); // [9, 12]
 */
export function sumMiddleInto(
  x: Float32Array,
  s: Pick<Split, "outer" | "r" | "inner">,
  mean: boolean,
  out: Float32Array,
): void {
  const { outer, r, inner } = s;
  out.fill(0);
  for (let o = 0; o < outer; o++) {
    const acc = out.subarray(o * inner, (o + 1) * inner);
    for (let k = 0, row = o * r * inner; k < r; k++, row += inner) {
      for (let c = 0; c < inner; c++) acc[c] += x[row + c];
    }
    if (mean) { for (let c = 0; c < inner; c++) acc[c] /= r; }
  }
}

function reductionWasm(kernelName: "Sum" | "Mean", poolOf?: PoolOf): KernelFn {
  return (args) => {
    const { inputs, attrs = {}, backend } = args;
    const x = (inputs as { x: tf.TensorInfo }).x;
    const split = x.dtype === "float32"
      ? splitReduction(x.shape, attrs.axis as number | number[], Boolean(attrs.keepDims))
      : undefined;
    if (!split || split.r === 0) return requireStockKernel(kernelName, "wasm")(args);
    const b = backend as unknown as WasmHeapBackend;
    const out = b.makeOutput(split.outShape, "float32");
    const mean = kernelName === "Mean";
    if (poolOf) {
      const [from, to] = [heapAddress(b, x), heapAddress(b, out)];
      poolOf(backend).run("sum_middle", [from, to, split.outer, split.r, split.inner, mean ? 1 : 0]);
    } else {
      // Views are taken after makeOutput, which may grow (and so detach) the heap.
      sumMiddleInto(b.typedArrayFromHeap(x), split, mean, b.typedArrayFromHeap(out));
    }
    return out;
  };
}

/** `Sum` for wasm (see the module doc), as a JavaScript loop. */
export const sumWasm: KernelFn = reductionWasm("Sum");
/** `Mean` for wasm (see the module doc), as a JavaScript loop. */
export const meanWasm: KernelFn = reductionWasm("Mean");
/** `Sum` for wasm on our SIMD kernel `sum_middle` (the same bits, on the backend's threads). */
export const sumWasmSimd = (poolOf: PoolOf = SimdPool.of): KernelFn => reductionWasm("Sum", poolOf);
/** `Mean` for wasm on our SIMD kernel `sum_middle` (the same bits, on the backend's threads). */
export const meanWasmSimd = (poolOf: PoolOf = SimdPool.of): KernelFn => reductionWasm("Mean", poolOf);
