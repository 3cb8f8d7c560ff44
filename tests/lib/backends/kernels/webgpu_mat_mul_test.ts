/**
 * `BatchMatMul` and `_FusedMatMul` on webgpu (lib/backends/kernels/webgpu_mat_mul.ts): which products take
 * tfjs's small-output program, a dense layer's forward and gradients through it against the cpu backend, and
 * products of long reductions on our fixed-order split-K program (webgpu_split_k_mat_mul.ts) against a float64
 * computation, off tfjs's split-K program (atomic adds), on a real WebGPU device (llvmpipe in CI).
 */
import * as tf from "@tensorflow/tfjs-core";
import { assert, assertEqualJson, assertLess } from "../assert.ts";
import { REF, relErr, runOn, seeded } from "../reference.ts";
import {
  prefersSmallTiles,
  prefersSplitK,
  wouldSplitK,
} from "../../../../lib/backends/kernels/webgpu_mat_mul.ts";
import { planSplitK } from "../../../../lib/backends/kernels/webgpu_split_k_mat_mul.ts";
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

Deno.test("prefersSplitK and planSplitK: long reductions of one float32 pair, about 1024 workgroups", () => {
  assertEqualJson(
    [
      prefersSplitK(1, 300, 300, 25088, "float32"), // PCA's Gram matrix of 300 samples: 100 tiles
      prefersSplitK(1, 32, 32, 4096, "float32"), // of 32 samples
      prefersSplitK(1, 300, 300, 1999, "float32"), // a short reduction
      prefersSplitK(2, 300, 300, 25088, "float32"), // two pairs
      prefersSplitK(1, 300, 300, 25088, "int32"),
      prefersSplitK(1, 1024, 1024, 4096, "float32"), // 1024 tiles fill the GPU already
    ],
    [true, true, false, false, false, false],
    "which products take our split-K program",
  );
  const gram = planSplitK(300, 300, 25088);
  assertEqualJson(
    [gram.tilesM, gram.tilesN, gram.splits, gram.kTilesPerSplit],
    [10, 10, 11, 72],
    "300 samples of 25,088 features: 11 slices of 72 steps of 32",
  );
  const small = planSplitK(32, 32, 4096);
  assertEqualJson([small.splits, small.kTilesPerSplit], [16, 8], "at least 8 steps a slice");
  const short = planSplitK(40, 40, 2000);
  assert(short.splits * short.kTilesPerSplit * 32 >= 2000, "the slices cover k");
  assert((short.splits - 1) * short.kTilesPerSplit * 32 < 2000, "no slice starts past k");
});

/** op(A)·op(B) in float64 from the float32 inputs as stored (A [m, k] or, transposed, [k, m]; B likewise). */
function productF64(
  a: Float32Array,
  b: Float32Array,
  [m, k, n]: number[],
  transposeA: boolean,
  transposeB: boolean,
): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        s += a[transposeA ? p * m + i : i * k + p] * b[transposeB ? j * k + p : p * n + j];
      }
      out[i * n + j] = s;
    }
  }
  return out;
}

Deno.test({
  name:
    "webgpu products of long reductions: our split-K program, against float64, the same bits on every run",
  ignore: noAdapter,
  fn: async () => {
    registerTrainingKernels("webgpu");
    // [m, k, n, transposeA, transposeB]: a Gram matrix (A·Aᵀ) of sizes that are not multiples of 32, a
    // covariance (Aᵀ·A), a plain product and both transposed; k from just over 2000 to several slices.
    const cases: [number, number, number, boolean, boolean][] = [
      [70, 4099, 70, false, true],
      [40, 2100, 33, true, false],
      [33, 2050, 65, false, false],
      [65, 3000, 31, true, true],
    ];
    for (const [m, k, n, ta, tb] of cases) {
      const a = seeded(m * k, m + k);
      const b = seeded(k * n, n + k + 1);
      const product = () => {
        const ta2 = tf.tensor2d(a, ta ? [k, m] : [m, k]);
        const tb2 = tf.tensor2d(b, tb ? [n, k] : [k, n]);
        return [tf.matMul(ta2, tb2, ta, tb)];
      };
      const runs = [await runOn(WEBGPU_BACKEND, product), await runOn(WEBGPU_BACKEND, product)];
      const what = `[${m}, ${k}]·[${k}, ${n}] (transposeA ${ta}, transposeB ${tb})`;
      assertLess(relErr(productF64(a, b, [m, k, n], ta, tb), runs[0][0]), 1e-5, `${what} against float64`);
      assertEqualJson(
        Array.from(runs[1][0]),
        Array.from(runs[0][0]),
        `${what}: the same bits on a second run`,
      );
    }
    const pipelines = Object.keys((tf.backend() as unknown as { pipelineCache: object }).pipelineCache);
    assert(!pipelines.some((p) => p.startsWith("matMulSplitK")), `no tfjs split-K program ran: ${pipelines}`);
    for (const variant of ["false_true", "true_false", "false_false", "true_true"]) {
      assert(
        pipelines.some((p) => p.startsWith(`ourMatMulSplitKFixedOrder_${variant}`)),
        `our split-K program ran for transposes ${variant}: ${pipelines}`,
      );
    }
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
