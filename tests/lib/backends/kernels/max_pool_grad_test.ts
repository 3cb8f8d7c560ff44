import * as tf from "@tensorflow/tfjs-core";
import { assertEqualJson, assertLess } from "../assert.ts";
import { absErr, REF, runOn, seeded } from "../reference.ts";
import { initBackend } from "../../../../lib/backends/select.ts";
import { registerTrainingKernels } from "../../../../lib/backends/kernels/register_kernels.ts";
import { maxPoolGradInto } from "../../../../lib/backends/kernels/max_pool_grad.ts";

interface PoolCase {
  x: [number, number, number, number];
  k: number;
  s: number;
  pad: "same" | "valid";
  /** "ties": small integers ≥ 0, many equal maxima and zeros; "negative": every value < 0. */
  values: "random" | "ties" | "negative";
}
const CASES: PoolCase[] = [
  { x: [2, 8, 8, 3], k: 2, s: 2, pad: "valid", values: "random" },
  { x: [2, 8, 8, 3], k: 2, s: 2, pad: "valid", values: "ties" },
  { x: [2, 7, 7, 3], k: 3, s: 2, pad: "same", values: "ties" },
  { x: [2, 7, 7, 3], k: 2, s: 1, pad: "same", values: "ties" },
  { x: [2, 9, 9, 5], k: 3, s: 3, pad: "valid", values: "random" },
  { x: [2, 6, 6, 4], k: 2, s: 2, pad: "valid", values: "negative" },
  { x: [1, 7, 5, 2], k: 3, s: 2, pad: "same", values: "negative" },
];
const label = (c: PoolCase) => `x${c.x.join("x")} k${c.k} s${c.s} ${c.pad} ${c.values}`;

function inputValues(c: PoolCase, seed: number): Float32Array {
  const v = seeded(tf.util.sizeFromShape(c.x), seed);
  if (c.values === "ties") return v.map((a) => Math.max(0, Math.round(a * 2)));
  if (c.values === "negative") return v.map((a) => -1.5 - a);
  return v;
}

function poolGrad(c: PoolCase, seed: number): tf.Tensor[] {
  const x = tf.tensor4d(inputValues(c, seed), c.x);
  const y = tf.maxPool(x, c.k, c.s, c.pad);
  const r = tf.tensor(seeded(y.size, seed + 1), y.shape);
  const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, c.k, c.s, c.pad), r)))(x);
  tf.dispose([x, y, r]);
  return [dx];
}

const reference: Float32Array[] = [];
for (const [i, c] of CASES.entries()) reference.push((await runOn(REF, () => poolGrad(c, 300 + i)))[0]);
await initBackend("wasm", { threads: 2 });

for (const backend of ["wasm", "cpu"] as const) {
  Deno.test(`our default MaxPoolGrad on ${backend} (wasm: SIMD, cpu: JS) matches the stock cpu backend (ties, zeros, negative windows)`, async () => {
    registerTrainingKernels(backend);
    for (const [i, c] of CASES.entries()) {
      const [dx] = await runOn(backend, () => poolGrad(c, 300 + i));
      assertLess(absErr(reference[i], dx), 1e-6, `${backend} ${label(c)}`);
    }
  });
}

Deno.test("the stock wasm MaxPoolGrad drops negative windows, so the replacement matters", async () => {
  registerTrainingKernels("wasm", { maxPoolGrad: "stock" });
  try {
    const i = CASES.findIndex((c) => c.values === "negative");
    const [dx] = await runOn("wasm", () => poolGrad(CASES[i], 300 + i));
    assertLess(0.1, absErr(reference[i], dx), "stock wasm error on negative windows");
  } finally {
    registerTrainingKernels("wasm");
  }
});

Deno.test("maxPoolGradInto routes each window to its first strict maximum, also when all values are negative", () => {
  // 1×2×4×1 input, 2×2 windows with stride 2: window A = [-3, -1 | -2, -1] (max -1 first at index 1),
  // window B = [5, 7 | 7, 0] (max 7 first at index 3).
  const x = Float32Array.of(-3, -1, 5, 7, -2, -1, 7, 0);
  const info = tf.backend_util.computePool2DInfo([1, 2, 4, 1], [2, 2], [2, 2], 1, "valid");
  const dx = new Float32Array(8).fill(9);
  maxPoolGradInto(info, x, Float32Array.of(10, 20), dx);
  assertEqualJson(Array.from(dx), [0, 10, 0, 20, 0, 0, 0, 0], "dx");
});
