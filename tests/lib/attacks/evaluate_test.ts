import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import {
  type AttackSet,
  evaluateAttacks,
  type EvaluateAttacksOptions,
} from "../../../lib/attacks/evaluate.ts";
import { linear, uniforms, useCpu } from "./helpers.ts";

await useCpu();

const D = 16;
const N = 12;
const m = linear([uniforms(D, 31, -1, 1), uniforms(D, 32, -1, 1), uniforms(D, 33, -1, 1)], [0, 0, 0]);
const INDICES = [11, 3, 5, 0, 7, 9, 1, 2, 4, 6, 8];
const set: AttackSet = {
  images: Uint8Array.from(uniforms(N * D, 34, 0, 256), Math.floor),
  labels: Uint8Array.from(uniforms(N, 35, 0, 3), Math.floor),
  shape: [4, 4, 1],
  indices: INDICES,
};
const options: EvaluateAttacksOptions = {
  attacks: ["fgsm-linf", "pgd-linf", "apgd-l2"],
  eps: { linf: [0, 4 / 255, 16 / 255], l2: [0, 0.5] },
  settings: {
    pgd: { steps: 5, stepFactor: 2.5, restarts: 2, randomStart: true },
    apgd: { steps: 5 },
    seed: 1,
  },
  batchSize: 4,
  examples: 5,
};

Deno.test("evaluateAttacks: eps 0 equals clean, robust ⊆ clean, and results do not depend on the batch size", async () => {
  const a = await evaluateAttacks(m.f, set, options);
  assertEquals(
    a.outcomes.map((o) => `${o.attack}@${o.eps.toFixed(4)}`),
    [
      "fgsm-linf@0.0000",
      "fgsm-linf@0.0157",
      "fgsm-linf@0.0627",
      "pgd-linf@0.0000",
      "pgd-linf@0.0157",
      "pgd-linf@0.0627",
      "apgd-l2@0.0000",
      "apgd-l2@0.5000",
    ],
  );
  for (const o of a.outcomes) {
    assert(o.robust.every((v, i) => v <= a.clean[i]), `${o.attack} robust ⊆ clean`);
    assertEquals(o.stats.samples, set.indices.length);
    if (o.eps === 0) assertEquals(o.robust, a.clean, o.attack);
  }
  const b = await evaluateAttacks(m.f, set, { ...options, batchSize: 11 });
  assertEquals(b.clean, a.clean);
  assertEquals(b.outcomes.map((o) => o.robust), a.outcomes.map((o) => o.robust));
  // Clean labels by hand: argmax of W·x/255.
  const clean = INDICES.map((r) => {
    const x = Array.from(set.images.subarray(r * D, r * D + D), (v) => v / 255);
    const z = m.w.map((row) => row.reduce((s, w, k) => s + w * x[k], 0));
    return z.indexOf(Math.max(...z)) === set.labels[r] ? 1 : 0;
  });
  assertEquals(Array.from(a.clean), clean);
});

Deno.test("evaluateAttacks keeps example images of the first samples at each attack's largest eps", async () => {
  const a = await evaluateAttacks(m.f, set, options);
  assertEquals(a.examples.ids, [11, 3, 5, 0, 7]);
  assertEquals(a.examples.labels, [11, 3, 5, 0, 7].map((r) => set.labels[r]));
  assertEquals(a.examples.clean.pixels.length, 5 * D);
  assertEquals(
    Array.from(a.examples.clean.pixels.subarray(D, 2 * D)),
    Array.from(set.images.subarray(3 * D, 4 * D), (v) => Math.fround(v / 255)),
  );
  assertEquals(a.examples.attacks.map((e) => [e.attack, e.eps, e.predictions.length]), [
    ["fgsm-linf", 16 / 255, 5],
    ["pgd-linf", 16 / 255, 5],
    ["apgd-l2", 0.5, 5],
  ]);
  const fg = a.examples.attacks[0].pixels;
  for (let k = 0; k < 5 * D; k++) {
    assert(Math.abs(fg[k] - a.examples.clean.pixels[k]) <= 16 / 255 + 1e-6, `example pixel ${k}`);
  }
});
