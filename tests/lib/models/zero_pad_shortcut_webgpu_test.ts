import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-webgpu";
import { ok as assert } from "node:assert/strict";
import { relErr, runOn, seeded } from "../backends/reference.ts";
import { ZeroPadShortcut } from "../../../lib/models/custom_layers.ts";
import { probeWebGpuAdapter } from "../../../lib/backends/webgpu/adapter.ts";

const noAdapter = (await probeWebGpuAdapter()) === null;
if (noAdapter) console.warn("ZeroPadShortcut webgpu test skipped: no WebGPU adapter");

/** Output and input gradient of the shortcut for the loss Σ y·r. */
function shortcutPass(): tf.Tensor[] {
  const shape = [2, 6, 6, 4];
  const x = tf.tensor(seeded(2 * 6 * 6 * 4, 3), shape);
  const r = tf.tensor(seeded(2 * 3 * 3 * 8, 4), [2, 3, 3, 8]);
  const layer = new ZeroPadShortcut({ outChannels: 8 });
  const f = (t: tf.Tensor) => tf.sum(tf.mul(layer.apply(t) as tf.Tensor, r)) as tf.Scalar;
  return [layer.apply(x) as tf.Tensor, tf.grad(f)(x)];
}

Deno.test({
  name:
    "ZeroPadShortcut gives the same output and gradient on webgpu as on cpu (rank-6 pads are broken there)",
  ignore: noAdapter,
  fn: async () => {
    const [cpuY, cpuDx] = await runOn("cpu", shortcutPass);
    const [gpuY, gpuDx] = await runOn("webgpu", shortcutPass);
    assert(relErr(cpuY, gpuY) < 1e-6, "forward");
    assert(cpuDx.some((v) => v !== 0), "the reference gradient is not all zeros");
    assert(relErr(cpuDx, gpuDx) < 1e-6, `gradient differs: ${relErr(cpuDx, gpuDx)}`);
  },
});
