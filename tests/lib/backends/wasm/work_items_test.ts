import * as tf from "@tensorflow/tfjs-core";
import { assert } from "../assert.ts";
import { seeded } from "../reference.ts";
import { initBackend } from "../../../../lib/backends/select.ts";
import { type PoolOf, SimdPool } from "../../../../lib/backends/wasm/simd_pool.ts";
import type { KernelFn } from "../../../../lib/backends/kernels/kernel_registry.ts";
import {
  conv2dWinograd,
  filterGradChunk,
  filterGradWinograd,
  inputGradWinograd,
} from "../../../../lib/backends/kernels/wasm_winograd.ts";
import { inputGradSimd, maxPoolGradSimd, sliceSimd } from "../../../../lib/backends/kernels/wasm_simd.ts";
import { wasmBatchNormKernels } from "../../../../lib/backends/kernels/wasm_batch_norm.ts";
import { reluGradWasm } from "../../../../lib/backends/kernels/relu_grad.ts";
import { meanWasmSimd } from "../../../../lib/backends/kernels/reductions.ts";

await initBackend("wasm", { threads: 2 });
const backend = tf.backend();
const noFallback: KernelFn = () => {
  throw new Error("fell back");
};

/** Runs `kernel` on `inputs` and returns each of its outputs' values. */
function readAll(
  kernel: KernelFn,
  inputs: Record<string, tf.Tensor>,
  attrs: tf.NamedAttrMap = {},
): Float32Array[] {
  const result: tf.TensorInfo | tf.TensorInfo[] = kernel({ inputs, attrs, backend });
  return (Array.isArray(result) ? result : [result]).map((out) => {
    const values = Float32Array.from(backend.readSync(out.dataId) as Float32Array);
    backend.disposeData(out.dataId);
    return values;
  });
}

/** Runs a one-output `kernel` on `inputs` and returns its output's values. */
function read(
  kernel: KernelFn,
  inputs: Record<string, tf.Tensor>,
  attrs: tf.NamedAttrMap = {},
): Float32Array {
  return readAll(kernel, inputs, attrs)[0];
}

const tensor = (shape: number[], seed: number) =>
  tf.tensor(seeded(tf.util.sizeFromShape(shape), seed), shape);

/**
 * Every kernel that hands out work items, on inputs of many items each (Winograd blocks and filter-gradient
 * chunks, rows of dx, images, row items of the batch norm and slice, ReLU-gradient items, reduction blocks).
 */
function everyKernel(poolOf: PoolOf): Record<string, Float32Array> {
  const x = tensor([6, 40, 40, 8], 1), f = tensor([3, 3, 8, 16], 2), dy = tensor([6, 40, 40, 16], 3);
  const conv = { strides: [1, 1], pad: "same", dataFormat: "NHWC", dilations: [1, 1] };
  const x2 = tensor([4, 16, 16, 16], 4), f2 = tensor([3, 3, 16, 8], 5), dy2 = tensor([4, 8, 8, 8], 6);
  const bn = wasmBatchNormKernels(poolOf);
  const kernel = (name: string) => bn.find((k) => k.kernelName === name)!.kernelFunc as unknown as KernelFn;
  const rows = tensor([64, 8, 8, 16], 7), rowsDy = tensor([64, 8, 8, 16], 8);
  const gamma = tensor([16], 9), beta = tensor([16], 10);
  const stats = tf.tensor(read(kernel("OurBatchNormStats"), { x: rows }), [2, 16]);
  const sums = readAll(kernel("OurBatchNormGradReduce"), { dy: rowsDy, x: rows, stats }, { epsilon: 1e-3 });
  const [dbeta, dgamma] = sums.map((s) => tf.tensor(s));
  const pooled = tf.maxPool(x as tf.Tensor4D, 2, 2, "valid");
  const out = {
    "winograd y": read(conv2dWinograd(noFallback, poolOf), { x, filter: f }, conv),
    "winograd dx": read(inputGradWinograd(noFallback, poolOf), { dy, filter: f }, {
      ...conv,
      inputShape: x.shape,
    }),
    "winograd dW": read(filterGradWinograd(noFallback, poolOf), { x, dy }, { ...conv, filterShape: f.shape }),
    "strided dx": read(inputGradSimd(noFallback, poolOf), { dy: dy2, filter: f2 }, {
      ...conv,
      strides: [2, 2],
      inputShape: x2.shape,
    }),
    "max-pool dx": read(maxPoolGradSimd(poolOf), { dy: tensor(pooled.shape, 11), input: x }, {
      filterSize: [2, 2],
      strides: [2, 2],
      pad: "valid",
    }),
    "batch-norm stats": stats.dataSync() as Float32Array,
    "batch-norm dβ and dγ": Float32Array.from(sums.flatMap((s) => [...s])),
    "batch-norm y": read(kernel("OurBatchNormApply"), { x: rows, stats, gamma, beta }, { epsilon: 1e-3 }),
    "batch-norm dx": read(kernel("OurBatchNormGradInput"), {
      dy: rowsDy,
      x: rows,
      stats,
      gamma,
      dgamma,
      dbeta,
    }, {
      epsilon: 1e-3,
    }),
    "slice": read(sliceSimd(noFallback, poolOf), { x: dy }, { begin: [1, 0, 2, 0], size: [4, 40, 30, 16] }),
    "relu dx": read(reluGradWasm(poolOf), { x: rows, dy: rowsDy }),
    "mean": read(meanWasmSimd(poolOf), { x: tensor([7, 61, 300], 12) }, { axis: 1, keepDims: false }),
  };
  tf.dispose([x, f, dy, x2, f2, dy2, rows, rowsDy, gamma, beta, stats, dbeta, dgamma, pooled]);
  return out;
}

Deno.test("work items go to whichever thread asks: a helper that takes none leaves the pool's thread all of them", () => {
  const one = SimdPool.create(backend, 1);
  const idle = SimdPool.create(backend, 2, {
    workerScript: new URL("./idle_worker_fixture.ts", import.meta.url),
  });
  assert(Math.ceil(6 * 10 * 10 / filterGradChunk(600, 8, 16)) > 1, "the filter gradient has several chunks");
  const want = everyKernel(() => one);
  // Run twice: the second job of each kernel must find the item counter zeroed again.
  for (const round of [1, 2]) {
    const got = everyKernel(() => idle);
    for (const [name, values] of Object.entries(want)) {
      const same = values.length === got[name].length && values.every((v, i) => Object.is(v, got[name][i]));
      assert(same, `${name}, round ${round}: differs when the helper takes no item`);
    }
  }
});
