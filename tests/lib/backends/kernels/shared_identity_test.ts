import * as tf from "@tensorflow/tfjs-core";
import { assert } from "../assert.ts";
import { initBackend } from "../../../../lib/backends/select.ts";
import { registerTrainingKernels } from "../../../../lib/backends/kernels/register_kernels.ts";
import { buildModel } from "../../../../lib/models/registry.ts";
import { Rng } from "../../../../lib/random.ts";
import { stepContext, type TrainConfig, trainStep } from "../../../../lib/train/loop.ts";

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

/** The cnn's weights after 3 training steps from seed 3, as bytes. */
async function weightsAfterSteps(): Promise<Uint8Array[]> {
  const built = buildModel("cnn", { inputShape: [28, 28, 1], numClasses: 10, seed: 3 });
  const config: TrainConfig = {
    epochs: 1,
    batchSize: 16,
    lr: 0.05,
    schedule: { kind: "constant" },
    momentum: 0.9,
    weightDecay: 1e-4,
    alpha: 0.5,
    seed: 3,
    augmentation: { kind: "none" },
    evalBatchSize: 16,
    siEpsilon: 1e-7,
    siGrouping: "block",
  };
  const ctx = stepContext(built, config);
  const rng = new Rng(5);
  const batch = {
    x: Float32Array.from({ length: 16 * 28 * 28 }, () => rng.uniform()),
    labels: Int32Array.from({ length: 16 }, () => rng.int(10)),
    shape: [16, 28, 28, 1] as [number, number, number, number],
  };
  for (let i = 0; i < 3; i++) await trainStep(ctx, batch, 0.05, { epoch: 1, batch: i + 1 });
  const out = [];
  for (const w of built.model.getWeights()) out.push(new Uint8Array((await w.data() as Float32Array).buffer));
  built.model.dispose();
  return out;
}

Deno.test("cnn training on wasm gives the same weights bit for bit with the shared and the copying Identity", async () => {
  await tf.setBackend("wasm");
  try {
    registerTrainingKernels("wasm", { identity: "stock" });
    const copied = await weightsAfterSteps();
    registerTrainingKernels("wasm");
    const shared = await weightsAfterSteps();
    assert(copied.length === shared.length && copied.length > 0, "weight count");
    copied.forEach((a, i) => assert(a.every((v, j) => v === shared[i][j]), `weight ${i} differs`));
  } finally {
    registerTrainingKernels("wasm");
  }
});
