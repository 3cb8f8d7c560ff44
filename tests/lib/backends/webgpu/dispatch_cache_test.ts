import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-webgpu";
import "@tensorflow/tfjs-layers"; // registers the gradients
import { assert, assertEqualJson, assertLess } from "../assert.ts";
import { REF, relErr, runOn, seeded } from "../reference.ts";
import { useDispatchCache, WEBGPU_BACKEND } from "../../../../lib/backends/webgpu/backend.ts";
import { probeWebGpuAdapter } from "../../../../lib/backends/webgpu/adapter.ts";

const noAdapter = (await probeWebGpuAdapter()) === null;
if (noAdapter) {
  console.warn(
    "webgpu dispatch-cache test skipped: no WebGPU adapter (apt-get install -y mesa-vulkan-drivers)",
  );
}

/** A small training-like step: conv, bias, relu, matmul, loss, and the gradients of all weights. */
function step(seed: number): tf.Tensor[] {
  const x = tf.tensor4d(seeded(2 * 6 * 6 * 3, seed), [2, 6, 6, 3]);
  const w = tf.tensor4d(seeded(3 * 3 * 3 * 4, seed + 1), [3, 3, 3, 4]);
  const bias = tf.tensor1d(seeded(4, seed + 2));
  const dense = tf.tensor2d(seeded(6 * 6 * 4 * 5, seed + 3), [6 * 6 * 4, 5]);
  const f = (wv: tf.Tensor, bv: tf.Tensor, dv: tf.Tensor) => {
    const h = tf.relu(tf.add(tf.conv2d(x, wv as tf.Tensor4D, 1, "same"), bv));
    const logits = tf.matMul(tf.reshape(h, [2, -1]), dv as tf.Tensor2D);
    return tf.mean(tf.square(tf.sub(logits, tf.scalar(-0.5))));
  };
  const grads = tf.grads(f)([w, bias, dense]);
  return [f(w, bias, dense), ...grads];
}

Deno.test("useDispatchCache refuses a backend that is not tfjs-backend-webgpu 4.22", async () => {
  await tf.setBackend(REF);
  let message = "";
  try {
    useDispatchCache(tf.backend());
  } catch (e) {
    message = (e as Error).message;
  }
  assert(message.includes("4.22.0") && message.includes("recordAndSubmit"), `clear error, got: ${message}`);
});

Deno.test({
  name: "webgpu: cached uniforms and bind groups give the cpu results, repeat bit for bit, and are reused",
  ignore: noAdapter,
  fn: async () => {
    const ref = await runOn(REF, () => step(3));
    await tf.setBackend(WEBGPU_BACKEND);
    const stats = useDispatchCache(tf.backend());
    assert(useDispatchCache(tf.backend()) === stats, "idempotent");
    const runs: Float32Array[][] = [];
    for (let i = 0; i < 4; i++) runs.push(await runOn(WEBGPU_BACKEND, () => step(3)));
    ref.forEach((r, k) => assertLess(relErr(r, runs[0][k]), 1e-5, `output ${k} vs cpu`));
    for (const run of runs.slice(1)) {
      assertEqualJson(run.map((t) => Array.from(t)), runs[0].map((t) => Array.from(t)), "repeat");
    }
    const before = { ...stats };
    await runOn(WEBGPU_BACKEND, () => step(3));
    const n = stats.dispatches - before.dispatches;
    assert(n > 10, `dispatches through the cache: ${n}`);
    assertEqualJson(stats.uniformHits - before.uniformHits, n, "all uniforms cached in a repeated step");
    // Fresh uploads each run move some tensors to other pooled buffers; the rest must hit.
    assert(stats.bindGroupHits - before.bindGroupHits > 0, "bind groups reused in a repeat");
  },
});
