/**
 * `OurReluGrad` on webgpu (lib/backends/kernels/relu_grad.ts) against tfjs's own Step and Multiply shaders on
 * the same device, bit for bit (NaN, ±0, ±∞ and subnormals in x; signs, NaN and ∞ in dy), and Relu's gradient
 * running it, on a real WebGPU device (llvmpipe in CI).
 */
import * as tf from "@tensorflow/tfjs-core";
import { assert } from "../assert.ts";
import { seeded } from "../reference.ts";
import { initBackend } from "../../../../lib/backends/select.ts";
import { probeWebGpuAdapter } from "../../../../lib/backends/webgpu/adapter.ts";
import { RELU_GRAD_KERNEL } from "../../../../lib/backends/kernels/relu_grad.ts";

const noAdapter = (await probeWebGpuAdapter()) === null;
if (noAdapter) {
  console.warn(
    "webgpu ReLU-gradient test skipped: no WebGPU adapter (apt-get install -y mesa-vulkan-drivers)",
  );
}

const sameBits = (a: Float32Array, b: Float32Array) =>
  a.length === b.length && a.every((v, i) => Object.is(v, b[i]) || (Number.isNaN(v) && Number.isNaN(b[i])));

Deno.test({
  name: "webgpu OurReluGrad gives the bits of tfjs's Step and Multiply shaders, and Relu's gradient runs it",
  ignore: noAdapter,
  fn: async () => {
    await initBackend("webgpu");
    const special = [NaN, -0, 0, Infinity, -Infinity, 1e-45, -1e-45, 3, -3];
    for (const n of [9, 1003, 4096]) {
      const x = tf.tensor(seeded(n, n).map((v, i) => i < special.length ? special[i] : v));
      // dy's specials at x = subnormals, 3 and −3 (and, every 13, at ordinary x); x's NaN meets a finite dy.
      const dy = tf.tensor(seeded(n, n + 1).map((v, i) => [NaN, Infinity, -Infinity, -0][i % 13 - 5] ?? v));
      const stock = tf.mul(dy, tf.cast(tf.step(x), "float32"));
      const want = await stock.data() as Float32Array;
      let got: Float32Array = new Float32Array();
      const profile = await tf.profile(async () => {
        const g = tf.grad((v: tf.Tensor) => tf.mul(tf.relu(v), dy))(x);
        got = await g.data() as Float32Array;
        g.dispose();
      });
      assert(
        profile.kernelNames.includes(RELU_GRAD_KERNEL),
        `n ${n}: Relu's gradient ran ${profile.kernelNames}`,
      );
      assert(!profile.kernelNames.includes("Step"), `n ${n}: no Step: ${profile.kernelNames}`);
      // The gradient is dy·relu'(x) with dy' = dy (the product's gradient of relu(v)·dy is dy itself).
      assert(sameBits(got, want), `n ${n}: differs from tfjs's Step and Multiply`);
      tf.dispose([x, dy, stock]);
    }
  },
});
