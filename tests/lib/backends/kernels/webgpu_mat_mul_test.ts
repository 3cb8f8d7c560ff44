/**
 * `BatchMatMul` and `_FusedMatMul` on webgpu (lib/backends/kernels/webgpu_mat_mul.ts): which products take
 * tfjs's small-output program, a dense layer's forward and gradients through it against the cpu backend, and
 * a Gram matrix of a long reduction kept off tfjs's split-K program (atomic adds), on a real WebGPU device
 * (llvmpipe in CI).
 */
import * as tf from "@tensorflow/tfjs-core";
import { assert, assertEqualJson, assertLess } from "../assert.ts";
import { REF, relErr, runOn, seeded } from "../reference.ts";
import { prefersSmallTiles, wouldSplitK } from "../../../../lib/backends/kernels/webgpu_mat_mul.ts";
import { registerTrainingKernels } from "../../../../lib/backends/kernels/register_kernels.ts";
import { probeWebGpuAdapter } from "../../../../lib/backends/webgpu/adapter.ts";
import { WEBGPU_BACKEND } from "../../../../lib/backends/webgpu/backend.ts";

const noAdapter = (await probeWebGpuAdapter()) === null;
if (noAdapter) console.warn("webgpu matmul tests skipped: no WebGPU adapter (mesa-vulkan-drivers)");

Deno.test("prefersSmallTiles: thin products with 9…128 tiles of 32×32 and short reductions only", () => {
  assertEqualJson(
    [
      prefersSmallTiles(1, 512, 10, 64), // the cnn's dense layer at batch 512: 16 tiles
      prefersSmallTiles(1, 64, 10, 512), // its filter gradient: 2 tiles, tfjs's own choice
      prefersSmallTiles(1, 128, 10, 64), // batch 128: 4 tiles
      prefersSmallTiles(1, 300, 300, 12544), // PCA's Gram matrix: a long reduction
      prefersSmallTiles(1, 2048, 2048, 64), // 4096 tiles
      prefersSmallTiles(4, 128, 64, 32), // 4 batches of 8 tiles
    ],
    [true, false, false, false, false, true],
    "which products take the small-output program",
  );
});

Deno.test("wouldSplitK: tfjs 4.22's own rule for its split-K program", () => {
  assertEqualJson(
    [
      wouldSplitK(1, 32, 32, 12544, 8), // PCA's Gram matrix of 32 samples: 1 tile, a long reduction
      wouldSplitK(1, 300, 300, 12544, 8), // of 300 samples: 100 tiles
      wouldSplitK(1, 32, 32, 1999, 8), // a short reduction
      wouldSplitK(1, 8, 8, 5000, 8), // 64 outputs: tfjs's reduce program
      wouldSplitK(2, 32, 32, 5000, 8), // two matrices
      wouldSplitK(1, 4, 500, 5000, 8), // m ≤ 8: 16 tiles still count as few
      wouldSplitK(1, 64, 160, 5000, 8), // 10 tiles
      wouldSplitK(1, 64, 160, 5000, 16), // 10 tiles on a recent Intel GPU
    ],
    [true, false, false, false, false, true, false, true],
    "which products tfjs would split along k",
  );
});

Deno.test({
  name: "webgpu Gram matrix of a long reduction: the same bits on every run, off tfjs's split-K program",
  ignore: noAdapter,
  fn: async () => {
    registerTrainingKernels("webgpu");
    const gram = () => {
      const x = tf.tensor2d(seeded(32 * 4096, 5), [32, 4096]);
      return [tf.matMul(x, x, false, true)];
    };
    const ref = await runOn(REF, gram);
    const runs = [await runOn(WEBGPU_BACKEND, gram), await runOn(WEBGPU_BACKEND, gram)];
    assertLess(relErr(ref[0], runs[0][0]), 1e-5, "Gram matrix against the cpu backend (k = 4096)");
    assertEqualJson(Array.from(runs[1][0]), Array.from(runs[0][0]), "the same bits on a second run");
    const pipelines = Object.keys((tf.backend() as unknown as { pipelineCache: object }).pipelineCache);
    assert(!pipelines.some((p) => p.startsWith("matMulSplitK")), `no split-K program ran: ${pipelines}`);
  },
});

/** A dense layer's output (bias and ReLU fused) and the gradients of Σ y·r with respect to x, w and b. */
function dense(m: number, k: number, n: number): tf.Tensor[] {
  const x = tf.tensor2d(seeded(m * k, 1), [m, k]);
  const w = tf.tensor2d(seeded(k * n, 2), [k, n]);
  const b = tf.tensor1d(seeded(n, 3));
  const r = tf.tensor2d(seeded(m * n, 4), [m, n]);
  const f = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
    tf.sum(
      tf.mul(tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, bias: b, activation: "relu" }), r),
    );
  const y = tf.fused.matMul({ a: x, b: w, bias: b, activation: "relu" });
  const grads = tf.grads(f)([x, w, b]);
  return [y, ...grads];
}

Deno.test({
  name:
    "webgpu dense layer on tfjs's small-output program matches the cpu backend; the flag is left as it was",
  ignore: noAdapter,
  fn: async () => {
    registerTrainingKernels("webgpu");
    for (const [m, k, n] of [[512, 64, 10], [300, 40, 60]]) {
      const ref = await runOn(REF, () => dense(m, k, n));
      const got = await runOn(WEBGPU_BACKEND, () => dense(m, k, n));
      ["y", "dx", "dw", "db"].forEach((name, i) => {
        assertLess(relErr(ref[i], got[i]), 2e-6, `${name} of [${m}, ${k}]·[${k}, ${n}]`);
      });
    }
    const pipelines = Object.keys((tf.backend() as unknown as { pipelineCache: object }).pipelineCache);
    assert(
      // The forward (bias, ReLU, no transposes) has 16 and 20 tiles: tfjs alone takes its 32×32 program.
      pipelines.some((p) => p.startsWith("matMulSmallOutputSize_relu_false_false")),
      `the small-output program ran the forward: ${pipelines}`,
    );
    assertEqualJson(tf.env().getNumber("WEBGPU_MATMUL_PROGRAM_TYPE"), -1, "tfjs's flag is restored");
  },
});
