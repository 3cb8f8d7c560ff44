import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { MomentumSgd } from "../../../lib/train/sgd.ts";

Deno.test("MomentumSgd matches PyTorch's update rule computed by hand in float64", async () => {
  await tf.setBackend("cpu");
  const w0 = [0.5, -1.5, 2];
  const w = tf.variable(tf.tensor1d(w0), true, "sgd_test_w");
  const sgd = new MomentumSgd([w], { momentum: 0.9, weightDecay: 0.01 });
  const gradsPerStep = [[1, 2, -1], [0.5, -0.5, 0], [-2, 1, 3]];
  const lrs = [0.1, 0.1, 0.05];
  // Reference: g ← g + wd·w; v ← μ·v + g; w ← w − lr·v (torch.optim.SGD, dampening 0).
  const ref = [...w0];
  const v = [0, 0, 0];
  gradsPerStep.forEach((g, s) => {
    const grads = { [w.name]: tf.tensor1d(g) };
    sgd.step(grads, lrs[s]);
    tf.dispose(Object.values(grads));
    for (let i = 0; i < 3; i++) {
      const gi = g[i] + 0.01 * ref[i];
      v[i] = 0.9 * v[i] + gi;
      ref[i] -= lrs[s] * v[i];
    }
  });
  const got = await w.data();
  ref.forEach((r, i) => assert.ok(Math.abs(got[i] - r) < 1e-6, `w[${i}] ${got[i]} vs ${r}`));
  const vel = await sgd.velocities()[0].data();
  v.forEach((r, i) => assert.ok(Math.abs(vel[i] - r) < 1e-6, `v[${i}] ${vel[i]} vs ${r}`));
  assert.throws(() => sgd.step({}, 0.1), /no gradient for variable 'sgd_test_w'/);
  assert.throws(() => sgd.setVelocities([tf.zeros([2])]), /has shape \[2\], expected \[3\]/);
  sgd.dispose();
  w.dispose();
});
