import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-webgpu";
import { assert, assertLess } from "../assert.ts";
import { REF, relErr, runOn, seeded } from "../reference.ts";
import { momentumSgdUpdate, SGD_VELOCITY, SGD_WEIGHT } from "../../../../lib/backends/kernels/fused_sgd.ts";
import { probeWebGpuAdapter } from "../../../../lib/backends/webgpu/adapter.ts";
import { registerWebGpuKernels } from "../../../../lib/backends/kernels/register_kernels.ts";
import { WEBGPU_BACKEND } from "../../../../lib/backends/webgpu/backend.ts";

const noAdapter = (await probeWebGpuAdapter()) === null;
if (noAdapter) console.warn("webgpu fused SGD tests skipped: no WebGPU adapter");

/** Three updates of a [5, 7] variable from seeded w, g; returns [v, w] after them. */
function threeSteps(weightDecay: number, lrAsTensor = false): tf.Tensor[] {
  let w: tf.Tensor = tf.tensor2d(seeded(35, 1), [5, 7]);
  let v: tf.Tensor = tf.zeros([5, 7]);
  for (let s = 0; s < 3; s++) {
    const g = tf.tensor2d(seeded(35, 10 + s), [5, 7]);
    const lr = lrAsTensor ? tf.scalar(0.1 / (s + 1)) : 0.1 / (s + 1);
    const [v2, w2] = momentumSgdUpdate(w, v, g, { lr, momentum: 0.9, weightDecay });
    tf.dispose([w, v, g, lr as tf.Tensor]);
    [v, w] = [v2, w2];
  }
  return [v, w];
}

Deno.test("momentumSgdUpdate without fused kernels follows the formula (hand-worked, one element)", async () => {
  await tf.setBackend(REF);
  const [v, w] = momentumSgdUpdate(tf.scalar(2), tf.scalar(0.5), tf.scalar(0.25), {
    lr: 0.1,
    momentum: 0.9,
    weightDecay: 0.01,
  });
  // v' = 0.9·0.5 + (0.25 + 0.01·2) = 0.72; w' = 2 − 0.1·0.72 = 1.928
  assertLess(Math.abs((await v.data())[0] - 0.72), 1e-7, "v'");
  assertLess(Math.abs((await w.data())[0] - 1.928), 1e-7, "w'");
});

Deno.test({
  name: "webgpu fused momentum SGD matches the tf-op path on cpu, with and without weight decay",
  ignore: noAdapter,
  fn: async () => {
    registerWebGpuKernels(["fusedSgd"]);
    for (const wd of [0, 5e-4]) {
      const ref = await runOn(REF, () => threeSteps(wd));
      const got = await runOn(WEBGPU_BACKEND, () => threeSteps(wd));
      assertLess(relErr(ref[0], got[0]), 1e-6, `velocity, wd ${wd}`);
      assertLess(relErr(ref[1], got[1]), 1e-6, `weight, wd ${wd}`);
    }
    await tf.setBackend(WEBGPU_BACKEND);
    const info = await tf.profile(() => threeSteps(5e-4));
    const names = info.kernels.map((k) => k.name).filter((n) => n.startsWith("Our"));
    assert(names.join() === Array(3).fill(`${SGD_VELOCITY},${SGD_WEIGHT}`).join(), `kernels ${names}`);
  },
});

Deno.test({
  name:
    "webgpu fused SGD: the rate as a scalar tensor (read from a buffer) gives the uniform's results bit for bit",
  ignore: noAdapter,
  fn: async () => {
    registerWebGpuKernels(["fusedSgd"]);
    const asUniform = await runOn(WEBGPU_BACKEND, () => threeSteps(5e-4));
    const asTensor = await runOn(WEBGPU_BACKEND, () => threeSteps(5e-4, true));
    assert(Array.from(asTensor[0]).join() === Array.from(asUniform[0]).join(), "velocity");
    assert(Array.from(asTensor[1]).join() === Array.from(asUniform[1]).join(), "weight");
    const cpu = await runOn(REF, () => threeSteps(5e-4, true));
    assertLess(relErr(cpu[1], asTensor[1]), 1e-6, "weight vs cpu");
  },
});
