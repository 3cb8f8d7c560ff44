/**
 * Whole-loop behaviour on a tiny synthetic task with the small CNN on the wasm backend (1 thread): determinism,
 * exact resume after a simulated kill, divergence detection, and the sign of the selectivity regularizer.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../../lib/backends/select.ts";
import type { PreparedSplit } from "../../../lib/data/prepared.ts";
import { makeSynthetic } from "../../../lib/data/synthetic.ts";
import { buildModel } from "../../../lib/models/registry.ts";
import { loadCheckpoint, saveCheckpoint } from "../../../lib/train/checkpoint.ts";
import { batchIndices, epochOrder, makeBatch } from "../../../lib/data/batches.ts";
import { learningRateAt } from "../../../lib/train/schedule.ts";
import {
  stepContext,
  type TrainConfig,
  TrainingDivergedError,
  trainModel,
  trainStep,
} from "../../../lib/train/loop.ts";

await initBackend("wasm", { threads: 1 });

function synthetic(n: number, seed: number): PreparedSplit {
  const d = makeSynthetic({ n, classes: 4, shape: [12, 12, 1], seed });
  return { images: d.images, labels: d.labels, n, shape: d.shape };
}
const data = { train: synthetic(192, 1), val: synthetic(96, 2) };

const config = (over: Partial<TrainConfig> = {}): TrainConfig => ({
  epochs: 3,
  batchSize: 32,
  lr: 0.05,
  schedule: { kind: "step", milestones: [0.5], gamma: 0.5 },
  momentum: 0.9,
  weightDecay: 1e-4,
  alpha: 0.5,
  seed: 3,
  augmentation: { kind: "crop-flip", padding: 2 }, // exercise the seeded augmentation across the resume
  evalBatchSize: 96,
  siEpsilon: 1e-7,
  siGrouping: "block",
  ...over,
});

const build = (seed = 3) => buildModel("cnn", { inputShape: [12, 12, 1], numClasses: 4, seed });
const weightsOf = (m: ReturnType<typeof build>) => Promise.all(m.model.getWeights().map((w) => w.data()));
/**
 * Fails with the first differing weight tensor and index (an assert.deepEqual over whole weight arrays builds
 * a diff large enough to take the test process to 18–24 GB on a mismatch).
 */
function assertSameWeights(actual: ArrayLike<number>[], expected: ArrayLike<number>[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: number of weight tensors`);
  actual.forEach((a, t) => {
    assert.equal(a.length, expected[t].length, `${what}: size of weight tensor ${t}`);
    for (let i = 0; i < a.length; i++) {
      if (!Object.is(a[i], expected[t][i])) {
        assert.fail(`${what}: weight tensor ${t}[${i}]: ${a[i]} vs ${expected[t][i]}`);
      }
    }
  });
}

/** Whether two weight lists differ anywhere (without building a diff). */
function weightsDiffer(a: ArrayLike<number>[], b: ArrayLike<number>[]): boolean {
  return a.some((w, t) =>
    w.length !== b[t].length || Array.prototype.some.call(w, (v: number, i: number) => !Object.is(v, b[t][i]))
  );
}

const withoutSpeed = <T extends { images_per_sec: number }>(h: T[]) =>
  h.map(({ images_per_sec: _, ...r }) => r);

Deno.test("same params, seed and backend → identical weights and history; another seed differs", async () => {
  const a = build(), b = build(), c = build(4);
  const count = async (run: () => Promise<unknown>) => {
    const before = tf.memory().numTensors;
    await run();
    return tf.memory().numTensors - before;
  };
  let ra: Awaited<ReturnType<typeof trainModel>> | undefined;
  const kept3 = await count(async () => ra = await trainModel(a, data, config()));
  const rb = await trainModel(b, data, config());
  const kept1 = await count(() => trainModel(c, data, config({ seed: 4, epochs: 1 })));
  // A model keeps a few lazily created tensors after its first training call, but nothing per step or epoch.
  assert.equal(kept3, kept1, "tensors kept after training grow with the number of epochs");
  assertSameWeights(await weightsOf(a), await weightsOf(b), "same seed");
  assert.deepEqual(withoutSpeed(ra!.history), withoutSpeed(rb.history));
  assert.ok(weightsDiffer(await weightsOf(a), await weightsOf(c)), "another seed gives other weights");
  assert.ok(ra!.history[2].loss < ra!.history[0].loss, "loss did not fall");
  for (const m of [a, b, c]) m.model.dispose();
});

Deno.test("a run killed after epoch 1 and resumed from its checkpoint ends with the uninterrupted weights", async () => {
  const dir = await Deno.makeTempDir();
  const full = build();
  const rFull = await trainModel(full, data, config());

  const killed = build();
  const kill = new Error("simulated kill");
  await assert.rejects(
    trainModel(killed, data, config(), {
      onEpoch: async (state) => {
        await saveCheckpoint(dir, state, "fp");
        if (state.epochsDone === 1) throw kill;
      },
    }),
    (e) => e === kill,
  );
  killed.model.dispose();

  const loaded = await loadCheckpoint(dir, "fp");
  assert.equal(loaded.state?.epochsDone, 1);
  const resumed = build(); // fresh process state: new model with the same seed, then the checkpoint
  const rResumed = await trainModel(resumed, data, config(), {}, loaded.state!);
  assertSameWeights(await weightsOf(resumed), await weightsOf(full), "resumed vs uninterrupted");
  assert.deepEqual(withoutSpeed(rResumed.history), withoutSpeed(rFull.history));
  for (const m of [full, resumed]) m.model.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("each epoch trains on its own seeded shuffle: equal to steps over epochOrder(n, seed, e), e = 0, 1, 2", async () => {
  const cfg = config({ augmentation: { kind: "none" } });
  const viaLoop = build();
  await trainModel(viaLoop, { train: data.train, val: { ...data.val, n: 0 } }, cfg);
  // The same steps by hand: the order of epoch e, the schedule's rate, no augmentation.
  const byHand = async (orderOf: (e: number) => Uint32Array) => {
    const built = build();
    const ctx = stepContext(built, cfg);
    for (let e = 0; e < cfg.epochs; e++) {
      const lr = learningRateAt(cfg.schedule, cfg.lr, e, cfg.epochs);
      for (const [b, rows] of batchIndices(orderOf(e), cfg.batchSize).entries()) {
        await trainStep(ctx, makeBatch(data.train, rows), lr, { epoch: e + 1, batch: b + 1 });
      }
    }
    ctx.sgd.dispose();
    const w = await weightsOf(built);
    built.model.dispose();
    return w;
  };
  const n = data.train.n;
  const reference = await byHand((e) => epochOrder(n, cfg.seed, e));
  assertSameWeights(await weightsOf(viaLoop), reference, "trainModel vs per-epoch shuffles");
  // The comparison can tell the orders apart: epoch 0's order reused every epoch trains other weights.
  assert.ok(
    weightsDiffer(await byHand(() => epochOrder(n, cfg.seed, 0)), reference),
    "one order for all epochs",
  );
  viaLoop.model.dispose();
});

Deno.test("a NaN loss stops training with an error naming epoch, batch and what to try; no SGD update", async () => {
  const built = build();
  const ctx = stepContext(built, config());
  // The forward pass itself updates the BN moving statistics; the trainable weights must stay as they were.
  const trainable = () => Promise.all(ctx.sgd.variables.map((v) => v.data()));
  const before = await trainable();
  const x = new Float32Array(4 * 12 * 12).fill(0.5);
  x[7] = NaN;
  const batch = {
    x,
    labels: Int32Array.from([0, 1, 2, 3]),
    shape: [4, 12, 12, 1] as [number, number, number, number],
  };
  await assert.rejects(trainStep(ctx, batch, 0.1, { epoch: 2, batch: 5 }), (e) => {
    assert.ok(e instanceof TrainingDivergedError);
    assert.match(e.message, /diverged at epoch 2, batch 5: loss NaN/);
    assert.match(e.message, /lower learning rate \(train\.lr\)/);
    return true;
  });
  assert.deepEqual(await trainable(), before);
  ctx.sgd.dispose();
  built.model.dispose();
  assert.equal(tf.getBackend(), "wasm");
});

Deno.test("a loss that overflows float32 (huge alpha) stops training even with finite CE and μ_SI", async () => {
  const built = build();
  const ctx = stepContext(built, config({ alpha: 1e39 }));
  const batch = makeBatch(data.train, Uint32Array.from({ length: 8 }, (_, i) => i));
  await assert.rejects(trainStep(ctx, batch, 0.1, { epoch: 1, batch: 1 }), (e) => {
    assert.ok(e instanceof TrainingDivergedError, String(e));
    assert.ok(!Number.isFinite(e.loss), `loss ${e.loss}`);
    assert.ok(
      Number.isFinite(e.crossEntropy) && Number.isFinite(e.meanSI),
      "the error reports each term as it is",
    );
    return true;
  });
  ctx.sgd.dispose();
  built.model.dispose();
});

Deno.test("reading the loss every 4 steps (as on a GPU) trains exactly as reading it every step", async () => {
  const a = build(), b = build();
  const ra = await trainModel(a, data, config({ epochs: 2 }));
  const rb = await trainModel(b, data, config({ epochs: 2, lossReadEvery: 4 }));
  assert.deepEqual(withoutSpeed(rb.history), withoutSpeed(ra.history));
  assertSameWeights(await weightsOf(b), await weightsOf(a), "loss read every 4 steps");
  a.model.dispose();
  b.model.dispose();
});

Deno.test("with deferred loss reads, divergence is reported at the same epoch and batch", async () => {
  const diverged = async (over: Partial<TrainConfig>) => {
    const built = build();
    try {
      await trainModel(built, data, config({ lr: 1e4, ...over }));
    } catch (e) {
      assert.ok(e instanceof TrainingDivergedError, String(e));
      return [e.epoch, e.batch];
    } finally {
      built.model.dispose();
    }
    assert.fail("training with lr 1e4 did not diverge");
  };
  const every = await diverged({});
  assert.deepEqual(await diverged({ lossReadEvery: 3 }), every);
});

Deno.test("alpha > 0 raises the minibatch selectivity relative to alpha < 0", async () => {
  const si: number[] = [];
  for (const alpha of [-1, 1]) {
    const m = build();
    const r = await trainModel(m, data, config({ alpha, augmentation: { kind: "none" } }));
    si.push(r.history.at(-1)!.train_mean_si);
    assert.ok(r.history.at(-1)!.val_mean_si! >= 0);
    m.model.dispose();
  }
  assert.ok(si[1] > si[0] + 0.05, `minibatch SI with alpha 1 (${si[1]}) not above alpha -1 (${si[0]})`);
});
