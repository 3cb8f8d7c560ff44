import * as tf from "@tensorflow/tfjs-core";
import { assert } from "../assert.ts";
import { initBackend } from "../../../../lib/backends/select.ts";
import { registerTrainingKernels } from "../../../../lib/backends/kernels/register_kernels.ts";
import { cnnWeightsAfterSteps } from "../wasm/train_steps.ts";

await initBackend("wasm", { threads: 2 });

Deno.test("the wasm Identity shares its input's data, which outlives the input and is freed with the clone", async () => {
  registerTrainingKernels("wasm");
  await tf.setBackend("wasm");
  const before = tf.memory().numDataBuffers;
  const t = tf.tensor1d([1, 2, 3]);
  const c = tf.clone(t);
  assert(c.dataId === t.dataId, "the clone shares the data");
  assert(tf.memory().numDataBuffers === before + 1, "one buffer for both");
  t.dispose();
  assert((await c.data()).join() === "1,2,3", "the clone reads its values after the input is disposed");
  c.dispose();
  assert(tf.memory().numDataBuffers === before, "the buffer is freed with the last reference");
});

Deno.test("cnn training on wasm gives the same weights bit for bit with the shared and the copying Identity", async () => {
  await tf.setBackend("wasm");
  try {
    registerTrainingKernels("wasm", { identity: "stock" });
    const copied = await cnnWeightsAfterSteps();
    registerTrainingKernels("wasm");
    const shared = await cnnWeightsAfterSteps();
    assert(copied.length === shared.length && copied.length > 0, "weight count");
    copied.forEach((a, i) => assert(a.every((v, j) => v === shared[i][j]), `weight ${i} differs`));
  } finally {
    registerTrainingKernels("wasm");
  }
});
