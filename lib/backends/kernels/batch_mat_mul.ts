/**
 * `BatchMatMul` for wasm with explicit transposes.
 *
 * The stock wasm kernel sends only the non-transposed batch-1 case to XNNPACK; with `transposeA`/`transposeB`
 * it runs a naive single-threaded loop. Dense-layer gradients use exactly those cases, so this kernel transposes
 * first and then calls the stock kernel without transposes. Batched products go to the stock kernel unchanged.
 */
import * as tf from "@tensorflow/tfjs-core";
import { type KernelFn, requireStockKernel, scratch } from "./kernel_registry.ts";

/** Returns the transposing `BatchMatMul` kernel for `backendName` (meant for wasm). */
export function batchMatMulTransposed(backendName: string): KernelFn {
  return (args) => {
    const { inputs, attrs = {}, backend } = args;
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    const stock = requireStockKernel("BatchMatMul", backendName);
    const batch = (t: tf.TensorInfo) => tf.util.sizeFromShape(t.shape.slice(0, -2));
    if ((!transposeA && !transposeB) || batch(a) !== 1 || batch(b) !== 1) return stock(args);
    const s = scratch(backend, backendName);
    const ra = a.shape.length, rb = b.shape.length;
    const as2 = s.run("Reshape", { x: a }, { shape: a.shape.slice(-2) });
    const bs2 = s.run("Reshape", { x: b }, { shape: b.shape.slice(-2) });
    const product = stock({
      inputs: {
        a: transposeA ? s.run("Transpose", { x: as2 }, { perm: [1, 0] }) : as2,
        b: transposeB ? s.run("Transpose", { x: bs2 }, { perm: [1, 0] }) : bs2,
      },
      attrs: { transposeA: false, transposeB: false },
      backend,
    });
    s.release();
    // Leading batch dimensions are all 1 here; keep as many as the higher-rank input had.
    const rows = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
    const cols = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
    const outShape = [...Array(Math.max(ra, rb) - 2).fill(1), rows, cols];
    const out = requireStockKernel("Reshape", backendName)({
      inputs: { x: product },
      attrs: { shape: outShape },
      backend,
    });
    backend.disposeData(product.dataId);
    return out;
  };
}
