/**
 * Training through step graphs on webgpu (llvmpipe in CI) against the same training through tfjs: identical
 * weights, velocities, batch-norm statistics and history, across epochs with a learning-rate change and a
 * partial last batch; divergence still detected.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../../lib/backends/select.ts";
import { probeWebGpuAdapter } from "../../../lib/backends/webgpu/adapter.ts";
import type { PreparedSplit } from "../../../lib/data/prepared.ts";
import { makeSynthetic } from "../../../lib/data/synthetic.ts";
import { buildModel } from "../../../lib/models/registry.ts";
import { type TrainConfig, TrainingDivergedError, trainModel } from "../../../lib/train/loop.ts";
import { GraphStepper, type TrainOnce } from "../../../lib/train/graph_steps.ts";
import { batchIndices, epochOrder, makeBatch } from "../../../lib/data/batches.ts";
import { Rng } from "../../../lib/random.ts";
import { WEBGPU_BACKEND } from "../../../lib/backends/webgpu/backend.ts";

const noAdapter = (await probeWebGpuAdapter()) === null;
if (noAdapter) {
  console.warn(
    "step-graph training test skipped: no WebGPU adapter (apt-get install -y mesa-vulkan-drivers)",
  );
} else await initBackend("webgpu");

function synthetic(n: number, seed: number): PreparedSplit {
  const d = makeSynthetic({ n, classes: 4, shape: [12, 12, 1], seed });
  return { images: d.images, labels: d.labels, n, shape: d.shape };
}
// 104 images in batches of 16: six full batches and a partial one of 8 per epoch.
const data = { train: synthetic(104, 1), val: synthetic(32, 2) };

const config = (over: Partial<TrainConfig> = {}): TrainConfig => ({
  epochs: 3,
  batchSize: 16,
  lr: 0.05,
  schedule: { kind: "step", milestones: [0.6], gamma: 0.5 }, // epoch 3 runs at half the rate
  momentum: 0.9,
  weightDecay: 1e-4,
  alpha: 0.5,
  seed: 3,
  augmentation: { kind: "crop-flip", padding: 2 },
  evalBatchSize: 32,
  siEpsilon: 1e-7,
  siGrouping: "block",
  lossReadEvery: 4,
  ...over,
});

const build = () => buildModel("cnn", { inputShape: [12, 12, 1], numClasses: 4, seed: 5 });
const withoutSpeed = <T extends { images_per_sec: number }>(h: T[]) =>
  h.map(({ images_per_sec: _, ...r }) => r);

Deno.test({
  name: "step graphs train exactly as tfjs does: weights, BN statistics and history bit for bit",
  ignore: noAdapter,
  fn: async () => {
    const eager = build(), graphed = build();
    // Graphs first, as in a fresh process (the first step also makes lazily created constants, so its capture
    // differs from the second).
    const rg = await trainModel(graphed, data, config({ stepGraphs: true }));
    const re = await trainModel(eager, data, config());
    assert.equal(re.stepGraphs, null);
    const stats = rg.stepGraphs!;
    // Two captures of each batch shape (full and partial), then replays, also across the rate change
    // (the rate is an input of the graph).
    assert.ok(stats.replays >= 10, `most steps replayed: ${JSON.stringify(stats)}`);
    assert.equal(stats.captures + stats.replays, 3 * 7);
    assert.equal(stats.unreplayable, null);
    assert.ok(stats.dispatchesPerStep > 50, `dispatches per step: ${stats.dispatchesPerStep}`);
    assert.deepEqual(withoutSpeed(rg.history), withoutSpeed(re.history), "history");
    const weights = (m: ReturnType<typeof build>) => Promise.all(m.model.getWeights().map((w) => w.data()));
    const [we, wg] = [await weights(eager), await weights(graphed)];
    assert.equal(we.length, wg.length);
    // getWeights includes the batch-norm moving statistics.
    we.forEach((w, i) => assert.deepEqual(Array.from(wg[i]), Array.from(w), `weight ${i}`));
    eager.model.dispose();
    graphed.model.dispose();
  },
});

Deno.test({
  name: "PGD adversarial training: its examples stay on the GPU for the step graphs, bit for bit with tfjs",
  ignore: noAdapter,
  fn: async () => {
    const pgd = { method: { kind: "pgd" as const, epsLinf255: 8, steps: 3, stepFactor: 2.5 }, epochs: 2 };
    const eager = build(), graphed = build();
    const reads = countReads();
    const rg = await trainModel(graphed, data, config({ ...pgd, stepGraphs: true }));
    const graphedReads = reads.stop();
    const re = await trainModel(eager, data, config(pgd));
    assert.equal(rg.stepGraphs!.unreplayable, null);
    assert.ok(rg.stepGraphs!.replays >= 6, `replays: ${JSON.stringify(rg.stepGraphs)}`);
    // No read per batch: the terms every lossReadEvery steps, validation and the last drain only.
    assert.ok(graphedReads < 2 * 7, `${graphedReads} reads for 14 batches`);
    assert.deepEqual(withoutSpeed(rg.history), withoutSpeed(re.history), "history");
    const weights = (m: ReturnType<typeof build>) => Promise.all(m.model.getWeights().map((w) => w.data()));
    const [we, wg] = [await weights(eager), await weights(graphed)];
    we.forEach((w, i) => assert.deepEqual(Array.from(wg[i]), Array.from(w), `weight ${i}`));
    eager.model.dispose();
    graphed.model.dispose();
  },
});

/** Counts tfjs reads (`data()`) until `stop`. */
function countReads(): { stop(): number } {
  const data = tf.Tensor.prototype.data;
  let n = 0;
  tf.Tensor.prototype.data = function (this: tf.Tensor) {
    n++;
    return data.call(this);
  } as typeof data;
  return {
    stop() {
      tf.Tensor.prototype.data = data;
      return n;
    },
  };
}

Deno.test({
  name:
    "step graphs: a cosine schedule recaptures nothing (the rate is a graph input), bit for bit with tfjs",
  ignore: noAdapter,
  fn: async () => {
    const cosine = config({ schedule: { kind: "cosine", minFactor: 0.1 } }); // a new rate every epoch
    const constant = config({ schedule: { kind: "constant" } });
    const steady = build(), eager = build(), graphed = build();
    const rc = await trainModel(steady, data, { ...constant, stepGraphs: true });
    const rg = await trainModel(graphed, data, { ...cosine, stepGraphs: true });
    const re = await trainModel(eager, data, cosine);
    const stats = rg.stepGraphs!;
    // As many captures as at one rate (two per batch shape of 16 and 8, plus at most one per shape whose first
    // capture still shared the initial values): a new rate recaptures nothing.
    assert.equal(
      stats.captures,
      rc.stepGraphs!.captures,
      `captures: ${JSON.stringify([stats, rc.stepGraphs])}`,
    );
    assert.ok(stats.captures <= 2 * 3, `captures: ${JSON.stringify(stats)}`);
    assert.equal(stats.captures + stats.replays, 3 * 7);
    assert.equal(stats.unreplayable, null);
    assert.deepEqual(withoutSpeed(rg.history), withoutSpeed(re.history), "history");
    assert.ok(new Set(rg.history.map((h) => h.lr)).size === 3, "three learning rates");
    const weights = (m: ReturnType<typeof build>) => Promise.all(m.model.getWeights().map((w) => w.data()));
    const [we, wg] = [await weights(eager), await weights(graphed)];
    we.forEach((w, i) => assert.deepEqual(Array.from(wg[i]), Array.from(w), `weight ${i}`));
    for (const m of [steady, eager, graphed]) m.model.dispose();
  },
});

Deno.test({
  name: "step graphs: a diverging run still stops with TrainingDivergedError",
  ignore: noAdapter,
  fn: async () => {
    const m = build();
    await assert.rejects(
      () => trainModel(m, data, config({ lr: 1e8, alpha: 0, stepGraphs: true, epochs: 2 })),
      (e: unknown) => e instanceof TrainingDivergedError && e.epoch === 1,
    );
    m.model.dispose();
  },
});

Deno.test({
  name: "step graphs refuse a backend other than webgpu",
  ignore: noAdapter,
  fn: async () => {
    await tf.setBackend("cpu");
    try {
      await assert.rejects(
        () => trainModel(build(), data, config({ stepGraphs: true, epochs: 1 })),
        /stepGraphs needs the webgpu backend, the active one is cpu/,
      );
    } finally {
      await tf.setBackend(WEBGPU_BACKEND);
    }
  },
});

Deno.test({
  name: "step graphs keep no more tensors after training than training through tfjs does",
  ignore: noAdapter,
  fn: async () => {
    // Warm the lazily created constants of both paths first.
    const warm = build();
    await trainModel(warm, data, config({ epochs: 1, stepGraphs: true }));
    warm.model.dispose();
    const kept = async (stepGraphs: boolean) => {
      const m = build();
      const before = tf.memory().numTensors;
      await trainModel(m, data, config({ epochs: 2, stepGraphs }));
      const after = tf.memory().numTensors;
      m.model.dispose();
      return after - before;
    };
    const eagerKept = await kept(false);
    assert.equal(await kept(true), eagerKept, "tensors kept by a graphed run vs a run through tfjs");
  },
});

Deno.test({
  name: "GraphStepper: a step drawing a random mask on the CPU is never replayed, and says why",
  ignore: noAdapter,
  fn: async () => {
    const device = (tf.backend() as unknown as { device: GPUDevice }).device;
    const w = tf.variable(tf.ones([12 * 12, 4]), true, "maskedStepW");
    let seed = 0;
    const once: TrainOnce = (x, labels, lr) =>
      tf.tidy(() => {
        const flat = tf.reshape(x, [x.shape[0], -1]) as tf.Tensor2D;
        const logits = tf.matMul(tf.dropout(flat, 0.5, undefined, seed++) as tf.Tensor2D, w);
        const loss = tf.losses.softmaxCrossEntropy(tf.oneHot(labels, 4), logits);
        w.assign(tf.sub(w, tf.mul(lr, loss))); // some state update that depends on the masked loss
        return tf.keep(tf.stack([loss, loss, loss, tf.scalar(0)]));
      });
    const stepper = new GraphStepper(device, 4, once);
    const batches = batchIndices(epochOrder(data.train.n, 1, 0), 16).slice(0, 6);
    const rows = [];
    for (const [b, idx] of batches.entries()) {
      rows.push(...await stepper.step(makeBatch(data.train, idx, { kind: "none" }, new Rng(1)), 0.1, b));
    }
    rows.push(...await stepper.drain());
    stepper.dispose();
    w.dispose();
    assert.deepEqual(rows.map((r) => r.batch), [0, 1, 2, 3, 4, 5], "every step ran and was read, in order");
    assert.ok(rows.every((r) => Number.isFinite(r.terms[0])), "finite losses");
    assert.equal(stepper.stats.replays, 0, JSON.stringify(stepper.stats));
    assert.equal(stepper.stats.captures, 6);
    assert.match(
      stepper.stats.unreplayable ?? "",
      /3 captures in a row recorded different uploads or uniforms/,
    );
  },
});
