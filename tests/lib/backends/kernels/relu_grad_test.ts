import * as tf from "@tensorflow/tfjs-core";
import { assert } from "../assert.ts";
import { seeded } from "../reference.ts";
import { initBackend } from "../../../../lib/backends/select.ts";
import { RELU_GRAD_KERNEL, reluGradWasm } from "../../../../lib/backends/kernels/relu_grad.ts";
import { SimdPool } from "../../../../lib/backends/wasm/simd_pool.ts";

await initBackend("wasm", { threads: 2 });
const pools = [1, 2, 3].map((threads) => SimdPool.create(tf.backend(), threads));

/** x with every case Step distinguishes (NaN, ±0, ±∞, subnormals, ±values), dy with signs, NaN and ∞. */
function inputs(n: number, seed: number): { x: tf.Tensor; dy: tf.Tensor } {
  const special = [NaN, -0, 0, Infinity, -Infinity, 1e-45, -1e-45, 3, -3];
  const x = seeded(n, seed).map((v, i) => i < special.length ? special[i] : v);
  const dy = seeded(n, seed + 1).map((v, i) => [NaN, Infinity, -Infinity][i % 11] ?? v);
  return { x: tf.tensor(x), dy: tf.tensor(dy) };
}

const sameBits = (a: Float32Array, b: Float32Array) =>
  a.length === b.length && a.every((v, i) => Object.is(v, b[i]) || (Number.isNaN(v) && Number.isNaN(b[i])));

Deno.test("OurReluGrad gives the bits of tfjs's Step, Cast and Multiply on 1, 2 and 3 threads", async () => {
  await tf.setBackend("wasm");
  for (const n of [1, 9, 64, 1003, 20011]) {
    const { x, dy } = inputs(n, n);
    const expected = tf.mul(dy, tf.cast(tf.step(x), "float32"));
    const want = expected.dataSync() as Float32Array;
    for (const pool of pools) {
      const backend = tf.backend();
      const out = reluGradWasm(() => pool)({ inputs: { x, dy }, backend });
      const got = backend.readSync(out.dataId) as Float32Array;
      assert(sameBits(got, want), `n ${n} on ${pool.threads} threads`);
      backend.disposeData(out.dataId);
    }
    tf.dispose([x, dy, expected]);
  }
});

/** The gradient of relu(x)·dy and the kernels it ran. */
async function reluGradient(
  x: tf.Tensor,
  dy: tf.Tensor,
): Promise<{ values: Float32Array; kernels: string[] }> {
  let values: Float32Array = new Float32Array();
  const profile = await tf.profile(() => {
    const g = tf.grad((v: tf.Tensor) => tf.mul(tf.relu(v), dy))(x);
    values = g.dataSync() as Float32Array;
    g.dispose();
  });
  return { values, kernels: profile.kernelNames };
}

Deno.test("Relu's gradient runs OurReluGrad on wasm and tfjs's composition on cpu, with the same bits", async () => {
  const { x: xw, dy: dyw } = inputs(257, 3);
  await tf.setBackend("wasm");
  const wasm = await reluGradient(xw, dyw);
  const [xs, dys] = [xw.dataSync(), dyw.dataSync()];
  tf.dispose([xw, dyw]);
  assert(wasm.kernels.includes(RELU_GRAD_KERNEL) && !wasm.kernels.includes("Step"), `wasm: ${wasm.kernels}`);
  await tf.setBackend("cpu");
  const [xc, dyc] = [tf.tensor(xs), tf.tensor(dys)];
  const cpu = await reluGradient(xc, dyc);
  tf.dispose([xc, dyc]);
  assert(!cpu.kernels.includes(RELU_GRAD_KERNEL) && cpu.kernels.includes("Step"), `cpu: ${cpu.kernels}`);
  assert(sameBits(wasm.values, cpu.values), "wasm's fused gradient differs from cpu's composition");
});
