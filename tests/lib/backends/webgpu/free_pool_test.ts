/**
 * The bound on tfjs's free pool buffers (lib/backends/webgpu/free_pool.ts), on a real WebGPU device (llvmpipe in
 * CI): a PGD attack whose batch shrinks as samples break asks for new buffer sizes at almost every step, the
 * workload that made the pool grow without bound on the GPU.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-layers"; // registers the gradients
import { assert, assertEqualJson } from "../assert.ts";
import { seeded } from "../reference.ts";
import { probeWebGpuAdapter } from "../../../../lib/backends/webgpu/adapter.ts";
import { initBackend } from "../../../../lib/backends/select.ts";
import { asSelectivityWebGpu, DEFAULT_FREE_POOL_BYTES } from "../../../../lib/backends/webgpu/backend.ts";
import { pgd } from "../../../../lib/attacks/pgd.ts";
import { makeSynthetic } from "../../../../lib/data/synthetic.ts";
import { buildModel } from "../../../../lib/models/registry.ts";
import { trainModel } from "../../../../lib/train/loop.ts";
import type { LogitsFn } from "../../../../lib/attacks/model.ts";

const noAdapter = (await probeWebGpuAdapter()) === null;
if (noAdapter) {
  console.warn("webgpu free-pool test skipped: no WebGPU adapter (apt-get install -y mesa-vulkan-drivers)");
}

/** Our webgpu backend, active. */
async function ourBackend() {
  await initBackend("webgpu");
  return asSelectivityWebGpu(tf.backend(), "free_pool_test");
}

/** A conv → relu → dense classifier of 8×8×1 images into 4 classes, seeded. */
function smallConvNet(): LogitsFn {
  const w = tf.tensor4d(seeded(3 * 3 * 1 * 6, 11), [3, 3, 1, 6]);
  const d = tf.tensor2d(seeded(8 * 8 * 6 * 4, 12), [8 * 8 * 6, 4]);
  return (x) =>
    tf.tidy(() => tf.matMul(tf.reshape(tf.relu(tf.conv2d(x, w, 1, "same")), [x.shape[0], -1]), d));
}

/** PGD on 4 batches of 24 images; the summed pixels of each result, and the pool's free bytes after each. */
async function attackBatches(
  f: LogitsFn,
  readFree: () => number,
): Promise<{ adv: number[][]; free: number[] }> {
  const adv: number[][] = [], free: number[] = [];
  for (let b = 0; b < 4; b++) {
    const x = tf.tensor4d(seeded(24 * 64, 100 + b).map((v) => (v + 1) / 2), [24, 8, 8, 1]);
    const y = tf.tensor1d(Array.from({ length: 24 }, (_, i) => (i * 7 + b) % 4), "int32");
    const out = await pgd(f, x, y, {
      eps: 0.1,
      norm: "linf",
      steps: 12,
      stepSize: 0.025,
      randomStart: true,
      restarts: 1,
      seed: b,
    });
    adv.push(Array.from(await out.data()));
    tf.dispose([x, y, out]);
    free.push(readFree());
  }
  return { adv, free };
}

Deno.test({
  name: "webgpu: the free pool stays under its bound through a shrinking attack, with the same results",
  ignore: noAdapter,
  fn: async () => {
    const backend = await ourBackend();
    const f = smallConvNet();
    const pool = backend.internals.bufferManager;
    const freeBytes = () => pool.numBytesAllocated - pool.numBytesUsed;

    // Unbounded (as tfjs): the pool keeps every size the shrinking batches asked for.
    const stats = backend.limitFreePool(Number.MAX_SAFE_INTEGER);
    const unbounded = await attackBatches(f, freeBytes);
    const grown = Math.max(...unbounded.free);

    const limit = 64 * 1024;
    assert(grown > 2 * limit, `premise: the attack leaves more than ${2 * limit} free bytes, got ${grown}`);
    backend.limitFreePool(limit);
    assert(stats.freeBytes <= limit, `lowering the bound trims at once: ${stats.freeBytes} free bytes`);
    const destroyedBefore = stats.destroyed;
    const bounded = await attackBatches(f, () => stats.freeBytes);
    for (const [b, bytes] of bounded.free.entries()) {
      assert(bytes <= limit, `batch ${b}: ${bytes} free bytes, bound ${limit}`);
    }
    assert(stats.destroyed > destroyedBefore, "the bound destroyed free buffers during the attack");
    assert(freeBytes() <= limit, `the pool's own count agrees: ${freeBytes()} free bytes`);
    assertEqualJson(bounded.adv, unbounded.adv, "adversarial examples with and without the bound");
    backend.limitFreePool(DEFAULT_FREE_POOL_BYTES);
  },
});

/** Trains a ResNet20 on 8×8×1 synthetic images through step graphs (as `train` on webgpu); its weights. */
async function trainedWeights(): Promise<number[][]> {
  const split = (n: number, seed: number) => {
    const d = makeSynthetic({ n, classes: 4, shape: [8, 8, 1], seed });
    return { images: d.images, labels: d.labels, n, shape: d.shape };
  };
  const built = buildModel("resnet20", { inputShape: [8, 8, 1], numClasses: 4, seed: 7 });
  await trainModel(built, { train: split(40, 1), val: split(16, 2) }, {
    epochs: 2,
    batchSize: 16, // two full batches and a partial one per epoch: three graph shapes
    lr: 0.05,
    schedule: { kind: "cosine", minFactor: 0 },
    momentum: 0.9,
    weightDecay: 1e-4,
    alpha: 0.5,
    seed: 3,
    augmentation: { kind: "none" },
    evalBatchSize: 16,
    siEpsilon: 1e-7,
    siGrouping: "block",
    lossReadEvery: 4,
    stepGraphs: true,
  });
  const weights = await Promise.all(built.model.getWeights().map(async (w) => Array.from(await w.data())));
  built.model.dispose();
  return weights;
}

Deno.test({
  name: "webgpu: ResNet20 trains to the same weights bit for bit whether or not the bound destroys buffers",
  ignore: noAdapter,
  fn: async () => {
    // The premise of carrying issue 17's trainings across the bound's introduction with `runner commit`.
    const backend = await ourBackend();
    const stats = backend.limitFreePool(Number.MAX_SAFE_INTEGER);
    const unbounded = await trainedWeights();
    backend.limitFreePool(16 * 1024);
    const destroyedBefore = stats.destroyed;
    const bounded = await trainedWeights();
    assert(stats.destroyed > destroyedBefore, "the bound destroyed free buffers during training");
    assertEqualJson(bounded, unbounded, "weights and batch-norm statistics");
    backend.limitFreePool(DEFAULT_FREE_POOL_BYTES);
  },
});
