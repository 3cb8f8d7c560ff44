/**
 * Property tests of the attack bookkeeping that linear models cannot tell apart: robust accuracy when an attack
 * happens to fix a wrong clean prediction, restarts against one restart, the radius law of L2-ball starts, and
 * the worst case over attacks as a per-sample AND.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { type AttackEvaluation, evaluateAttacks } from "../../../lib/attacks/evaluate.ts";
import type { PerturbationStats } from "../../../lib/attacks/checks.ts";
import type { LogitsFn } from "../../../lib/attacks/model.ts";
import { pgd } from "../../../lib/attacks/pgd.ts";
import { buildReport } from "../../../lib/attacks/report.ts";
import { randomStart } from "../../../lib/attacks/starts.ts";
import { apgd } from "../../../lib/attacks/apgd.ts";
import { exampleGridPng } from "../../../lib/attacks/examples.ts";
import { decodePng } from "../eval/png_decode.ts";
import { assertClose, bumpyModel, linear, linearGradient, rows, uniforms, useCpu } from "./helpers.ts";
import { misclassified } from "../../../lib/attacks/model.ts";

await useCpu();

/**
 * A one-pixel, two-class model with a periodic logit: z₀ = 5·sin(k·(x − 0.5) − 0.1), z₁ = 0. At x = 0.5 it
 * predicts class 1 (z₀ < 0) and CE of class 0 rises towards smaller x; one FGSM step of ε = π/k lands at
 * sin(−π − 0.1) > 0, where it predicts class 0.
 */
function periodicModel(k: number): LogitsFn {
  return (x) =>
    tf.tidy(() => {
      const s = tf.reshape(x, [-1, 1]);
      const z0 = tf.mul(tf.sin(tf.sub(tf.mul(tf.sub(s, 0.5), k), 0.1)), 5);
      return tf.concat([z0, tf.zerosLike(z0)], 1) as tf.Tensor2D;
    });
}

Deno.test("robust accuracy: a sample misclassified clean stays non-robust when the attack makes it right", async () => {
  const eps = 0.1;
  const f = periodicModel(Math.PI / eps);
  const pixel = Math.round(0.5 * 255); // 0.498: still misclassified clean, the step still lands past the trough
  const set = {
    images: Uint8Array.of(pixel),
    labels: Uint8Array.of(0),
    shape: [1, 1, 1] as [1, 1, 1],
    indices: [0],
  };
  // Independent check of the premise: clean wrong, the FGSM point right.
  const x = pixel / 255;
  const z0 = (v: number) => 5 * Math.sin((Math.PI / eps) * (v - 0.5) - 0.1);
  assert.ok(z0(x) < 0 && z0(x - eps) > 0, "premise: clean predicts 1, x − eps predicts 0");
  const ev = await evaluateAttacks(f, set, {
    attacks: ["fgsm-linf"],
    eps: { linf: [eps], l2: [] },
    settings: {
      pgd: { steps: 1, stepFactor: 1, restarts: 1, randomStart: false },
      apgd: { steps: 1 },
      seed: 0,
    },
    batchSize: 1,
    examples: 1,
  });
  assert.deepEqual([...ev.clean], [0]);
  assert.deepEqual(ev.examples.attacks[0].predictions, [0], "the attack does fix the prediction");
  assert.deepEqual([...ev.outcomes[0].robust], [0], "robust = correct clean AND correct attacked");
});

const bumpy = bumpyModel();

async function broken(xAdv: tf.Tensor4D, labels: tf.Tensor1D): Promise<number[]> {
  const pred = tf.tidy(() => tf.argMax(bumpy(xAdv), 1));
  const p = await pred.data();
  const y = await labels.data();
  pred.dispose();
  return Array.from(p, (v, i) => (v !== y[i] ? 1 : 0));
}

Deno.test("PGD: 4 restarts break every sample one restart with the same seed breaks, and more", async () => {
  const n = 64;
  const xs = Float32Array.from({ length: n * 4 }, (_, i) => ((i * 37) % 101) / 101);
  const x = tf.tensor4d(xs, [n, 2, 2, 1]);
  // Label each sample with its clean prediction, so every break is the attack's doing.
  const labels = tf.tidy(() => tf.cast(tf.argMax(bumpy(x), 1), "int32")) as tf.Tensor1D;
  const run = (restarts: number) =>
    pgd(bumpy, x, labels, {
      eps: 0.05,
      norm: "linf",
      steps: 1,
      stepSize: 0.001,
      randomStart: true,
      restarts,
      seed: 9,
    });
  const one = await run(1), four = await run(4);
  const b1 = await broken(one, labels), b4 = await broken(four, labels);
  const weaker = b1.flatMap((v, i) => (v === 1 && b4[i] === 0 ? [i] : []));
  assert.deepEqual(weaker, [], `samples broken by 1 restart but not by 4: ${weaker}`);
  const sum = (a: number[]) => a.reduce((s, v) => s + v, 0);
  assert.ok(sum(b4) > sum(b1), `4 restarts broke ${sum(b4)}, one ${sum(b1)}: restarts must add draws`);
  assert.ok(sum(b4) < n, "some samples must survive, or the early stop hides restart bugs");
  tf.dispose([x, labels, one, four]);
});

/** Kolmogorov–Smirnov distance of a sample from U(0, 1). */
function ksUniform(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  let d = 0;
  v.forEach((u, i) => {
    d = Math.max(d, Math.abs((i + 1) / v.length - u), Math.abs(u - i / v.length));
  });
  return d;
}

Deno.test("L2-ball starts are uniform in volume: (r/eps)^d ~ U(0, 1), directions centred", async () => {
  const n = 3000, eps = 0.2;
  const x = tf.fill([n, 1, 1, 3], 0.5) as tf.Tensor4D; // 0.5 ± 0.2 never clips
  const ids = Array.from({ length: n }, (_, i) => i);
  const start = randomStart(x, eps, "l2", "ball", { seed: 4, ids, restart: 0, purpose: "pgd-l2" });
  const deltas = (await rows(start)).map((r) => r.map((v) => v - 0.5));
  const radii = deltas.map((d) => Math.hypot(...d) / eps);
  assert.ok(Math.max(...radii) <= 1 + 1e-5, "every start lies in the ball");
  // KS critical value at α = 0.001 is 1.95/√n; a uniform radius, r ∝ U^(1/2) or the sphere all fail by far.
  const d = ksUniform(radii.map((r) => r ** 3));
  assert.ok(d < 1.95 / Math.sqrt(n), `KS distance ${d.toFixed(4)} of (r/eps)^3 from U(0,1), n=${n}`);
  for (let k = 0; k < 3; k++) {
    const mean = deltas.reduce((s, dl) => s + dl[k] / Math.hypot(...dl), 0) / n;
    assert.ok(Math.abs(mean) < 4 / Math.sqrt(3 * n), `direction coordinate ${k} mean ${mean}`);
  }
  tf.dispose([x, start]);
});

Deno.test("L∞-ball starts are uniform per coordinate on [−eps, eps]", async () => {
  const n = 2000, eps = 0.2;
  const x = tf.fill([n, 1, 1, 2], 0.5) as tf.Tensor4D;
  const ids = Array.from({ length: n }, (_, i) => i);
  const start = randomStart(x, eps, "linf", "ball", { seed: 5, ids, restart: 0, purpose: "pgd-linf" });
  const deltas = (await rows(start)).map((r) => r.map((v) => (v - 0.5 + eps) / (2 * eps)));
  for (let k = 0; k < 2; k++) {
    const d = ksUniform(deltas.map((dl) => dl[k]));
    assert.ok(d < 1.95 / Math.sqrt(n), `coordinate ${k}: KS distance ${d.toFixed(4)}`);
  }
  tf.dispose([x, start]);
});

function stats(eps: number, samples: number): PerturbationStats {
  return { maxNorm: eps, min: 0, max: 1, nanSamples: 0, samples };
}

Deno.test("worst case over attacks is a per-sample AND, not the minimum of the accuracies", () => {
  const outcome = (attack: "fgsm-linf" | "pgd-linf" | "pgd-l2", eps: number, robust: number[]) => ({
    attack,
    eps,
    robust: Uint8Array.from(robust),
    stats: stats(eps, robust.length),
    seconds: 0,
  });
  const ev: AttackEvaluation = {
    clean: Uint8Array.of(1, 1, 1, 1, 1, 1, 1, 0),
    outcomes: [
      outcome("fgsm-linf", 0, [1, 1, 1, 1, 1, 1, 1, 0]),
      outcome("fgsm-linf", 0.01, [1, 1, 1, 1, 0, 0, 0, 0]),
      outcome("fgsm-linf", 0.02, [1, 1, 0, 0, 0, 0, 0, 0]),
      outcome("pgd-linf", 0, [1, 1, 1, 1, 1, 1, 1, 0]),
      outcome("pgd-linf", 0.01, [0, 0, 1, 1, 1, 1, 0, 0]),
      outcome("pgd-linf", 0.02, [0, 1, 1, 0, 0, 0, 0, 0]),
      outcome("pgd-l2", 0, [1, 1, 1, 1, 1, 1, 1, 0]),
      outcome("pgd-l2", 0.5, [1, 0, 0, 0, 0, 0, 0, 0]),
    ],
    examples: { ids: [], labels: [], clean: { pixels: new Float32Array(), predictions: [] }, attacks: [] },
  };
  for (const o of ev.outcomes.filter((o) => o.eps === 0)) o.stats.maxNorm = 0;
  const r = buildReport(ev, 0.5);
  assert.deepEqual(r.attacks["fgsm-linf"].accuracy, [7 / 8, 4 / 8, 2 / 8]);
  assert.deepEqual(r.attacks["pgd-linf"].accuracy, [7 / 8, 4 / 8, 2 / 8]);
  // AND per sample: eps 0.01 → samples 2, 3 only; eps 0.02 → sample 1 only.
  assert.deepEqual(r.worst_case.linf, {
    attacks: ["fgsm-linf", "pgd-linf"],
    eps: [0, 0.01, 0.02],
    accuracy: [7 / 8, 2 / 8, 1 / 8],
    auc: ((7 / 8 + 2 / 8) / 2 * 0.01 + (2 / 8 + 1 / 8) / 2 * 0.01) / 0.02,
  });
  assert.deepEqual(r.worst_case.l2?.accuracy, [7 / 8, 1 / 8], "the L2 norm has its own worst case");
  assert.deepEqual(r.worst_case.l2?.attacks, ["pgd-l2"]);
  assert.equal(r.clean_accuracy, 7 / 8);
  assert.equal(r.samples, 8);
});

/** A 3-class linear model on 2×2×1 images and a batch it classifies correctly with a wide margin. */
function wideLinear() {
  const m = linear([[2, -1, 0.5, 1], [-1, 2, 1, -0.5], [0.5, 0.5, -2, 1]], [0, 0, 0]);
  const xs = [0.7, 0.3, 0.5, 0.6, 0.3, 0.7, 0.6, 0.4];
  const x = tf.tensor4d(xs, [2, 2, 2, 1]);
  const labels = tf.tensor1d([0, 1], "int32");
  return { m, xs, x, labels };
}

Deno.test("APGD's first step is the full projected step (momentum 1), not the 0.75 blend of later steps", async () => {
  const { m, xs, x, labels } = wideLinear();
  const eps = 0.05;
  const x0 = randomStart(x, eps, "linf", "apgd", { seed: 2, ids: [0, 1], restart: 0, purpose: "apgd-linf" });
  const starts = await rows(x0);
  const adv = await rows(await apgd(m.f, x, labels, { eps, norm: "linf", steps: 1, seed: 2 }));
  for (let i = 0; i < 2; i++) {
    // η = 2ε from any point of the cube reaches the face x ± ε the gradient at the start points to.
    const g = linearGradient(m, starts[i], i);
    const expected = xs.slice(4 * i, 4 * i + 4).map((v, k) => v + eps * Math.sign(g[k]));
    assertClose(adv[i], expected, 1e-6, `sample ${i}`);
  }
  tf.dispose([x, labels, x0]);
});

Deno.test("PGD returns the last iterate of the last restart for a sample no restart breaks", async () => {
  const { m, x, labels } = wideLinear();
  const eps = 0.05;
  for (const restarts of [1, 2]) {
    // Step 0: each restart's only iterate is its start, so the result shows which restarts ran.
    const adv = await pgd(m.f, x, labels, {
      eps,
      norm: "l2",
      steps: 1,
      stepSize: 0,
      randomStart: true,
      restarts,
      seed: 6,
    });
    const last = randomStart(x, eps, "l2", "ball", {
      seed: 6,
      ids: [0, 1],
      restart: restarts - 1,
      purpose: "pgd-l2",
    });
    assertClose(Array.from(await adv.data()), Array.from(await last.data()), 1e-7, `${restarts} restarts`);
    tf.dispose([adv, last]);
  }
  tf.dispose([x, labels]);
});

Deno.test("attacks leave no tensors behind but their result", async () => {
  const { m, x, labels } = wideLinear();
  for (
    const run of [
      () => apgd(m.f, x, labels, { eps: 0.05, norm: "l2", steps: 6, seed: 1 }),
      () =>
        pgd(m.f, x, labels, {
          eps: 0.05,
          norm: "linf",
          steps: 3,
          stepSize: 0.02,
          randomStart: true,
          restarts: 2,
          seed: 1,
        }),
    ]
  ) {
    const before = tf.memory().numTensors;
    const adv = await run();
    assert.equal(tf.memory().numTensors, before + 1);
    adv.dispose();
  }
  tf.dispose([x, labels]);
});

Deno.test("evaluateAttacks reports progress after each batch: images done of the total", async () => {
  const { m } = wideLinear();
  const calls: [number, number][] = [];
  await evaluateAttacks(m.f, {
    images: Uint8Array.from({ length: 5 * 4 }, (_, i) => (i * 53) % 256),
    labels: Uint8Array.of(0, 1, 2, 0, 1),
    shape: [2, 2, 1],
    indices: [4, 0, 1, 2, 3],
  }, {
    attacks: ["fgsm-linf"],
    eps: { linf: [0.01], l2: [] },
    settings: {
      pgd: { steps: 1, stepFactor: 1, restarts: 1, randomStart: false },
      apgd: { steps: 1 },
      seed: 0,
    },
    batchSize: 2,
    examples: 0,
    onBatch: (done, total) => calls.push([done, total]),
  });
  assert.deepEqual(calls, [[2, 5], [4, 5], [5, 5]]);
});

Deno.test("example grid: row r, column k holds image r of column k, 2-px grey gaps, rounded to 8 bit", () => {
  const h = 2, w = 3, rowsN = 3;
  const image = (col: number, r: number) =>
    Float32Array.from({ length: h * w }, (_, k) => (col * 7 + r * 3 + k) / 40);
  const column = (col: number) =>
    Float32Array.from(Array.from({ length: rowsN }, (_, r) => [...image(col, r)]).flat());
  const examples = {
    ids: [5, 6, 7],
    labels: [0, 1, 2],
    clean: { pixels: column(0), predictions: [0, 1, 2] },
    attacks: [{
      attack: "pgd-linf" as const,
      eps: 0.1,
      pixels: Float32Array.from(column(1)),
      predictions: [1, 1, 1],
    }],
  };
  const { width, height, pixels } = decodePng(exampleGridPng(examples, [h, w, 1]), 1);
  assert.deepEqual([width, height], [2 * w + 2, rowsN * h + 2 * 2]);
  for (let r = 0; r < rowsN; r++) {
    for (let col = 0; col < 2; col++) {
      const img = image(col, r);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const got = pixels[(r * (h + 2) + y) * width + col * (w + 2) + x];
          assert.equal(
            got,
            Math.round(Math.min(1, img[y * w + x]) * 255),
            `row ${r} col ${col} (${y}, ${x})`,
          );
        }
      }
    }
  }
  assert.equal(pixels[h * width], 128, "the gap between rows is mid-grey");
  assert.equal(pixels[w], 128, "the gap between columns is mid-grey");
});

Deno.test("a batch attack gives every sample what attacking it alone gives, as broken samples leave the batch", async () => {
  // 3 classes over 6 pixels; 12 samples, some wrong at the start, some broken after a few steps, some never.
  const w = [0, 1, 2].map((k) => uniforms(6, 40 + k, -3, 3));
  const m = linear(w, [0.3, 0, -0.3]);
  const xs = uniforms(12 * 6, 7);
  const ys = Array.from({ length: 12 }, (_, i) => i % 3);
  const x = tf.tensor4d(xs, [12, 3, 2, 1]);
  const labels = tf.tensor1d(ys, "int32");
  const ids = Array.from({ length: 12 }, (_, i) => 100 + i);
  const runs = {
    "pgd-linf, 2 restarts": (xb: tf.Tensor4D, yb: tf.Tensor1D, idb: number[]) =>
      pgd(m.f, xb, yb, {
        eps: 0.08,
        norm: "linf",
        steps: 2, // few and short enough that the last iterate still shows its random start
        stepSize: 0.03,
        randomStart: true,
        restarts: 2,
        seed: 3,
        ids: idb,
      }),
    "pgd-l2": (xb: tf.Tensor4D, yb: tf.Tensor1D, idb: number[]) =>
      pgd(m.f, xb, yb, {
        eps: 0.3,
        norm: "l2",
        steps: 5,
        stepSize: 0.1,
        randomStart: true,
        restarts: 1,
        seed: 3,
        ids: idb,
      }),
    "apgd-linf": (xb: tf.Tensor4D, yb: tf.Tensor1D, idb: number[]) =>
      apgd(m.f, xb, yb, { eps: 0.08, norm: "linf", steps: 10, seed: 3, ids: idb }),
    "apgd-l2": (xb: tf.Tensor4D, yb: tf.Tensor1D, idb: number[]) =>
      apgd(m.f, xb, yb, { eps: 0.3, norm: "l2", steps: 10, seed: 3, ids: idb }),
  };
  for (const [name, run] of Object.entries(runs)) {
    const batch = await run(x, labels, ids);
    const together = await rows(batch);
    const logits = m.f(batch);
    const wrong = await misclassified(logits, labels).data();
    tf.dispose([batch, logits]);
    // The case this test is for: some samples broken, some not.
    assert.ok(wrong.some((v) => v) && wrong.some((v) => !v), `${name}: broken ${Array.from(wrong)}`);
    for (let i = 0; i < 12; i++) {
      const xi = tf.tensor4d(xs.slice(6 * i, 6 * i + 6), [1, 3, 2, 1]);
      const yi = tf.tensor1d([ys[i]], "int32");
      const alone = await run(xi, yi, [ids[i]]);
      assert.deepEqual(together[i], (await rows(alone))[0], `${name}: sample ${i}`);
      tf.dispose([xi, yi, alone]);
    }
  }
  tf.dispose([x, labels]);
});
