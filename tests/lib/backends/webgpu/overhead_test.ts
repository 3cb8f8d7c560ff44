import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-webgpu";
import { assertEqualJson, assertLess } from "../assert.ts";
import { REF, relErr, runOn, seeded } from "../reference.ts";
import {
  meanGrad,
  registerReductionGrads,
  sumGrad,
} from "../../../../lib/backends/kernels/reduction_grads.ts";
import { useQueueWriteUploads, WEBGPU_BACKEND } from "../../../../lib/backends/webgpu/backend.ts";
import { probeWebGpuAdapter } from "../../../../lib/backends/webgpu/adapter.ts";

const noAdapter = (await probeWebGpuAdapter()) === null;
if (noAdapter) {
  console.warn("webgpu upload test skipped: no WebGPU adapter (apt-get install -y mesa-vulkan-drivers)");
}

/** Gradients through sum and mean over several axis sets, with and without keepDims. */
function reductionGrads(seed: number): tf.Tensor[] {
  const x = tf.tensor(seeded(3 * 4 * 5 * 6, seed), [3, 4, 5, 6]);
  const r = (shape: number[], s: number) => tf.tensor(seeded(tf.util.sizeFromShape(shape), s), shape);
  const f = (a: tf.Tensor) =>
    tf.addN([
      tf.sum(tf.mul(tf.mean(a, [0, 1, 2]), r([6], seed + 1))),
      tf.sum(tf.mul(tf.sum(a, [1, 2], true), r([3, 1, 1, 6], seed + 2))),
      tf.sum(tf.mul(tf.mean(tf.square(a), 3), r([3, 4, 5], seed + 3))),
      tf.mean(a),
    ]);
  return [tf.grad(f)(x)];
}

Deno.test("Sum/Mean gradients via fill equal the stock ones bit for bit (cpu)", async () => {
  const stock = [tf.getGradient("Sum")!, tf.getGradient("Mean")!];
  const [before] = await runOn(REF, () => reductionGrads(11));
  registerReductionGrads();
  try {
    assertEqualJson(
      [tf.getGradient("Sum"), tf.getGradient("Mean")].map((g) => g === sumGrad || g === meanGrad),
      [
        true,
        true,
      ],
      "installed",
    );
    const [after] = await runOn(REF, () => reductionGrads(11));
    assertEqualJson(Array.from(after), Array.from(before), "identical gradients");
  } finally {
    stock.forEach((g) => tf.registerGradient(g));
  }
});

Deno.test({
  name: "webgpu: uploads through queue.writeBuffer give the same values (float32, int32, bool, scalars)",
  ignore: noAdapter,
  fn: async () => {
    const f = seeded(1000, 5), i = Int32Array.from(f, (v) => Math.round(v * 1000));
    const compute = () => {
      const a = tf.tensor(f, [10, 100]);
      const b = tf.tensor(i, [10, 100], "int32");
      const m = tf.greater(tf.tensor(f, [10, 100]), tf.scalar(0));
      const s = tf.scalar(2.5);
      return [
        tf.add(tf.mul(a, s), tf.cast(b, "float32")),
        tf.cast(tf.logicalAnd(m, tf.tensor([true], [1], "bool")), "float32"),
      ];
    };
    const ref = await runOn(REF, compute);
    await tf.setBackend(WEBGPU_BACKEND);
    assertEqualJson(useQueueWriteUploads(tf.backend()), true, "patched");
    const got = await runOn(WEBGPU_BACKEND, compute);
    for (const [k, r] of ref.entries()) assertLess(relErr(r, got[k]), 1e-7, `output ${k}`);
    // A buffer returned to the pool and rewritten within one unsubmitted command stream keeps each value.
    const sums = await runOn(WEBGPU_BACKEND, () => {
      const outs: tf.Tensor[] = [];
      for (let k = 0; k < 40; k++) outs.push(tf.sum(tf.mul(tf.tensor(f, [1000]), tf.scalar(k))));
      return [tf.stack(outs)];
    });
    const total = f.reduce((p, v) => p + v, 0);
    const want = Array.from({ length: 40 }, (_, k) => total * k);
    assertLess(relErr(want, sums[0]), 1e-5, "scalars in one command stream");
  },
});
