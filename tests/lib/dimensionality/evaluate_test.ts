import * as tf from "@tensorflow/tfjs-core";
import assert from "node:assert/strict";
import { initBackend } from "../../../lib/backends/select.ts";
import {
  type DimensionalityConfig,
  MAX_CONDITIONS_IN_FLIGHT,
  measureDimensionality,
  rescalePerImage,
} from "../../../lib/dimensionality/evaluate.ts";
import { buildModel } from "../../../lib/models/registry.ts";
import { Rng } from "../../../lib/random.ts";
import { dimAttacks } from "../../../stages/measure_dimensionality.ts";

await initBackend("cpu");

Deno.test("rescalePerImage: each image's perturbation gets the target L2 norm, direction kept", async () => {
  const x0 = tf.tensor4d([0.5, 0.5, 0.5, 0.5, 0.2, 0.2, 0.2, 0.2], [2, 2, 2, 1]);
  const x = tf.tensor4d([0.6, 0.5, 0.5, 0.5, 0.2, 0.2, 0.2, 0.2], [2, 2, 2, 1]);
  const target = tf.tensor1d([0.3, 0.7]);
  const out = rescalePerImage(x, x0, target);
  const v = await out.data();
  // Image 0: δ = (0.1, 0, 0, 0) scaled to norm 0.3 → 0.5 + 0.3; image 1 has no perturbation and stays put.
  assert.ok(Math.abs(v[0] - 0.8) < 1e-6 && v[1] === 0.5);
  assert.deepEqual(Array.from(v.slice(4)), [0.2, 0.2, 0.2, 0.2].map(Math.fround));
  tf.dispose([x0, x, out, target]);
});

Deno.test("measureDimensionality: rank ceiling, input norms, matched corruptions at the attack's L2 size", async () => {
  const shape: [number, number, number] = [28, 28, 1];
  const n = 40, size = 28 * 28;
  const rng = new Rng(3);
  const images = Uint8Array.from({ length: n * size }, () => rng.int(256));
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 4);
  const { model } = buildModel("cnn", { inputShape: [...shape], numClasses: 4, seed: 1 });
  const config: DimensionalityConfig = {
    nSamples: 24,
    seed: 0,
    representation: "flatten",
    maxFeatures: null,
    varianceThreshold: 0.95,
    corruptions: ["contrast"],
    severities: [5],
    attacks: dimAttacks([{ name: "fgsm-linf", eps_linf_255: 8 }]),
    matchNorm: true,
    perturbedDims: true,
    attack: {
      pgd: { steps: 2, stepFactor: 2.5, restarts: 1, randomStart: true },
      apgd: { steps: 4 },
      seed: 0,
    },
    batchSize: 16,
  };
  const lines: string[] = [];
  const split = { images, labels, n, shape };
  const { result } = await measureDimensionality(
    model,
    split,
    shape,
    config,
    (l) => lines.push(l),
    undefined,
    1,
  );
  // Eigensolves run on workers while the next condition is queued; results and log lines keep their order,
  // and do not depend on how many workers there are.
  assert.deepEqual(lines.map((l) => l.split(" ")[0]), ["clean", ...result.conditions.map((c) => c.id)]);
  const { result: again } = await measureDimensionality(model, split, shape, config, undefined, undefined, 4);
  assert.deepEqual(again, result);
  assert.equal(result.n_samples, 24);
  // block1 has 28·28·16 features: the ceiling is N − 1 = 23, and no measurement exceeds it.
  assert.equal(result.layers[0].rank_ceiling, 23);
  for (const c of result.conditions) {
    for (const [l, layer] of c.layers.entries()) {
      assert.ok(layer.delta.components <= result.layers[l].rank_ceiling, `${c.id} ${layer.name}`);
    }
  }
  assert.deepEqual(result.conditions.map((c) => c.id), [
    "fgsm-linf-8/255",
    "contrast-5",
    "contrast-5@fgsm-linf-8/255",
  ]);
  const [adv, raw, matched] = result.conditions;
  // FGSM moves every pixel by ε unless clipped: L∞ = 8/255 exactly.
  assert.ok(Math.abs(adv.input_norm.linf - 8 / 255) < 1e-6, `${adv.input_norm.linf}`);
  assert.equal(matched.matched_to, adv.id);
  // Matched to the attack's per-image L2 size (up to clipping at [0, 1], which can only shrink it).
  assert.ok(
    matched.input_norm.l2 <= adv.input_norm.l2 + 1e-5 && matched.input_norm.l2 > 0.8 * adv.input_norm.l2,
  );
  assert.ok(
    raw.input_norm.l2 > 2 * adv.input_norm.l2,
    "contrast 5 is a much larger perturbation than FGSM 8/255",
  );
});

/**
 * Measures an untrained cnn on 30 random images with one FGSM condition and `corruptions` at severities 2 and 4
 * (each also matched), while every read resolves a macrotask late (as a GPU read does) and notes how many
 * reads had resolved when it started. A flow that waited for each condition's reads would start each
 * condition's reads after more had resolved; reads queued together all start at one count.
 */
async function measureWithLateReads(
  corruptions: DimensionalityConfig["corruptions"],
  seed: number,
): Promise<{ conditions: number; seenAtStart: number[] }> {
  const shape: [number, number, number] = [28, 28, 1];
  const n = 30, size = 28 * 28;
  const rng = new Rng(seed);
  const images = Uint8Array.from({ length: n * size }, () => rng.int(256));
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 3);
  const { model } = buildModel("cnn", { inputShape: [...shape], numClasses: 3, seed: 2 });
  const config: DimensionalityConfig = {
    nSamples: 18,
    seed: 0,
    representation: "flatten",
    maxFeatures: null,
    varianceThreshold: 0.95,
    corruptions,
    severities: [2, 4],
    attacks: dimAttacks([{ name: "fgsm-linf", eps_linf_255: 8 }]),
    matchNorm: true,
    perturbedDims: false,
    attack: {
      pgd: { steps: 2, stepFactor: 2.5, restarts: 1, randomStart: true },
      apgd: { steps: 4 },
      seed: 0,
    },
    batchSize: 16,
  };
  const data = tf.Tensor.prototype.data;
  let resolved = 0;
  const seenAtStart: number[] = [];
  tf.Tensor.prototype.data = function (this: tf.Tensor) {
    seenAtStart.push(resolved);
    const read = data.call(this);
    return new Promise((done) => setTimeout(() => done(read), 0)).finally(() => resolved++);
  } as typeof data;
  try {
    const { result } = await measureDimensionality(model, { images, labels, n, shape }, shape, config);
    return { conditions: result.conditions.length, seenAtStart };
  } finally {
    tf.Tensor.prototype.data = data;
  }
}

Deno.test("measureDimensionality queues every condition before any of their reads is waited for", async () => {
  const { conditions, seenAtStart } = await measureWithLateReads(["contrast", "fog"], 4);
  assert.equal(conditions, 1 + 4 + 4);
  // The clean condition's reads, waited for; then the reads of all 9 conditions (at least 3 each: input norms,
  // predictions, moments), every one started before any of them resolved.
  const counts = [...new Set(seenAtStart)];
  assert.equal(counts.length, 2, `reads started per count of resolved reads: ${seenAtStart.join(",")}`);
  const clean = seenAtStart.filter((v) => v === counts[0]).length;
  assert.equal(counts[1], clean, "the clean reads resolved before the conditions were queued");
  assert.ok(seenAtStart.length - clean >= 9 * 3, `${seenAtStart.length - clean} condition reads`);
});

Deno.test("measureDimensionality keeps at most MAX_CONDITIONS_IN_FLIGHT conditions queued and unread", async () => {
  assert.equal(MAX_CONDITIONS_IN_FLIGHT, 16);
  // 1 attack + 4 corruptions × 2 severities × (raw + matched) = 17 conditions, one more than the bound.
  const { conditions, seenAtStart } = await measureWithLateReads(
    ["contrast", "fog", "gaussian_noise", "brightness"],
    5,
  );
  assert.equal(conditions, 17);
  // The clean reads; then 16 conditions' reads together; the 17th condition's only after the first one's
  // reads came back.
  const counts = [...new Set(seenAtStart)];
  assert.equal(counts.length, 3, `reads started per count of resolved reads: ${seenAtStart.join(",")}`);
  const perCount = counts.map((c) => seenAtStart.filter((v) => v === c).length);
  assert.equal(perCount[1], 16 * perCount[2], `16 conditions, then 1: ${perCount.join(", ")}`);
});

Deno.test("dimAttacks: one ε unit per norm, and a clear error for the wrong one", () => {
  assert.deepEqual(dimAttacks([{ name: "pgd-linf", eps_linf_255: 4 }]), [{
    name: "pgd-linf",
    eps: 4 / 255,
    label: "4/255",
  }]);
  assert.throws(
    () => dimAttacks([{ name: "pgd-l2", eps_linf_255: 4 }]),
    /dim\.attacks\.0: pgd-l2 is an l2 attack; give its radius as eps_l2/,
  );
});
