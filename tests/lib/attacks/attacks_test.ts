import { deepStrictEqual as assertEquals, ok as assert, throws as assertThrows } from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { apgd, apgdCheckpoints } from "../../../lib/attacks/apgd.ts";
import { fgsm } from "../../../lib/attacks/fgsm.ts";
import { pgd, type PgdOptions } from "../../../lib/attacks/pgd.ts";
import { misclassified } from "../../../lib/attacks/model.ts";
import { assertClose, linear, linearGradient, rows, uniforms, useCpu } from "./helpers.ts";

await useCpu();

const D = 16; // images of 4×4×1
const SHAPE: [number, number, number, number] = [3, 4, 4, 1];
const W3 = [uniforms(D, 1, -1, 1), uniforms(D, 2, -1, 1), uniforms(D, 3, -1, 1)];
/** Interior pixels, so that steps of ≤ 0.2 are never clipped. */
const X = uniforms(3 * D, 4, 0.3, 0.7);
const Y = [0, 1, 2];

const sign = (v: number) => (v > 0 ? 1 : v < 0 ? -1 : 0);
const norm2 = (v: number[]) => Math.sqrt(v.reduce((s, a) => s + a * a, 0));
const sub = (a: number[], b: number[]) => a.map((v, i) => v - b[i]);

function batch(): { x: tf.Tensor4D; y: tf.Tensor1D } {
  return { x: tf.tensor4d(X, SHAPE), y: tf.tensor1d(Y, "int32") };
}

Deno.test("FGSM L∞ on a linear softmax model moves every pixel by eps·sign of the closed-form gradient", async () => {
  const m = linear(W3, [0, 0, 0]);
  const { x, y } = batch();
  const eps = 0.1;
  const adv = await rows(fgsm(m.f, x, y, { eps, norm: "linf" }));
  for (let i = 0; i < 3; i++) {
    const x0 = X.slice(i * D, (i + 1) * D);
    const want = linearGradient(m, x0, Y[i]).map((g, k) => x0[k] + eps * sign(g));
    assertClose(adv[i], want, 1e-6, `sample ${i}`);
  }
});

Deno.test("FGSM L∞ on a 2-class linear model is eps·sign(w_other − w_true)", async () => {
  const m = linear([W3[0], W3[1]], [0.3, -0.2]);
  const x = tf.tensor4d(X.slice(0, 2 * D), [2, 4, 4, 1]);
  const adv = await rows(fgsm(m.f, x, tf.tensor1d([0, 1], "int32"), { eps: 0.05, norm: "linf" }));
  for (const [i, y, other] of [[0, 0, 1], [1, 1, 0]]) {
    const want = X.slice(i * D, (i + 1) * D).map((v, k) => v + 0.05 * sign(W3[other][k] - W3[y][k]));
    assertClose(adv[i], want, 1e-6, `sample ${i}`);
  }
});

Deno.test("FGM L2 on a linear model steps eps along the normalised closed-form gradient", async () => {
  const m = linear(W3, [0.1, 0, -0.1]);
  const { x, y } = batch();
  const eps = 0.2;
  const adv = await rows(fgsm(m.f, x, y, { eps, norm: "l2" }));
  for (let i = 0; i < 3; i++) {
    const x0 = X.slice(i * D, (i + 1) * D);
    const g = linearGradient(m, x0, Y[i]);
    const n = norm2(g);
    assertClose(adv[i], x0.map((v, k) => v + eps * g[k] / n), 1e-6, `sample ${i}`);
  }
});

Deno.test("FGSM clips to [0, 1] at the border of the pixel range", async () => {
  const m = linear(W3, [0, 0, 0]);
  const x = tf.tensor4d(X.map((_, k) => (k % 2 === 0 ? 0 : 1)), SHAPE);
  const adv = tf.concat([
    fgsm(m.f, x, tf.tensor1d(Y, "int32"), { eps: 0.3, norm: "linf" }),
    fgsm(m.f, x, tf.tensor1d(Y, "int32"), { eps: 3, norm: "l2" }),
  ]);
  const v = await adv.data();
  assert(Math.min(...v) >= 0 && Math.max(...v) <= 1, `pixels in [${Math.min(...v)}, ${Math.max(...v)}]`);
});

/** Two classes with a wide margin for the true class, so no iterate is ever misclassified. */
function wideMargin() {
  const m = linear([W3[0], W3[1]], [8, 0]); // not more: float32 must resolve 1 − p_true
  const x = tf.tensor4d(X.slice(0, 2 * D), [2, 4, 4, 1]);
  const y = tf.tensor1d([0, 0], "int32");
  const v = sub(W3[1], W3[0]); // ∇ direction of the loss for true class 0
  return { m, x, y, v };
}

const PGD: Omit<PgdOptions, "eps" | "norm"> = {
  steps: 20,
  stepSize: 0,
  randomStart: true,
  restarts: 1,
  seed: 7,
};

Deno.test("PGD L∞ on a linear model reaches the optimal corner x + eps·sign(w_other − w_true) from a random start", async () => {
  const { m, x, y, v } = wideMargin();
  const eps = 0.1;
  const adv = await rows(await pgd(m.f, x, y, { ...PGD, eps, norm: "linf", stepSize: 2.5 * eps / 20 }));
  for (let i = 0; i < 2; i++) {
    assertClose(adv[i], X.slice(i * D, (i + 1) * D).map((p, k) => p + eps * sign(v[k])), 1e-6, `sample ${i}`);
  }
});

Deno.test("PGD L2 on a linear model converges to x + eps·v/‖v‖ (the maximiser on the ball)", async () => {
  const { m, x, y, v } = wideMargin();
  const eps = 0.3;
  const adv = await rows(
    await pgd(m.f, x, y, { ...PGD, steps: 40, eps, norm: "l2", stepSize: 2.5 * eps / 20 }),
  );
  for (let i = 0; i < 2; i++) {
    const d = sub(adv[i], X.slice(i * D, (i + 1) * D));
    const cos = d.reduce((s, a, k) => s + a * v[k], 0) / (norm2(d) * norm2(v));
    assert(cos > 0.999, `sample ${i}: cosine to the optimum ${cos}`);
    assert(Math.abs(norm2(d) - eps) < 1e-5, `sample ${i}: ‖δ‖ = ${norm2(d)}, eps ${eps}`);
  }
});

Deno.test("APGD reaches the same optima on the linear model (L∞ corner, L2 boundary point)", async () => {
  const { m, x, y, v } = wideMargin();
  const inf = await rows(await apgd(m.f, x, y, { eps: 0.1, norm: "linf", steps: 20, seed: 3 }));
  const l2 = await rows(await apgd(m.f, x, y, { eps: 0.3, norm: "l2", steps: 40, seed: 3 }));
  for (let i = 0; i < 2; i++) {
    const x0 = X.slice(i * D, (i + 1) * D);
    assertClose(inf[i], x0.map((p, k) => p + 0.1 * sign(v[k])), 1e-6, `L∞ sample ${i}`);
    const d = sub(l2[i], x0);
    const cos = d.reduce((s, a, k) => s + a * v[k], 0) / (norm2(d) * norm2(v));
    assert(cos > 0.999 && Math.abs(norm2(d) - 0.3) < 1e-5, `L2 sample ${i}: cos ${cos}, ‖δ‖ ${norm2(d)}`);
  }
});

Deno.test("PGD returns a misclassified iterate when one exists, and stays in the ball", async () => {
  // Small margin: the true class loses once x moves by ~0.05 along v.
  const m = linear([W3[0], W3[1]], [0, 0]);
  const x0 = tf.tensor4d(X.slice(0, D), [1, 4, 4, 1]);
  const z = await rows(m.f(x0));
  const y = tf.tensor1d([z[0][0] > z[0][1] ? 0 : 1], "int32");
  const eps = 0.3;
  const adv = await pgd(m.f, x0, y, { ...PGD, eps, norm: "linf", stepSize: 2.5 * eps / 20 });
  assertEquals(Array.from(await misclassified(m.f(adv), y).data()), [1]);
  const d = sub((await rows(adv))[0], X.slice(0, D));
  assert(Math.max(...d.map(Math.abs)) <= eps + 1e-6);
});

Deno.test("eps 0 and step 0 leave the input unchanged; the caller's tensor is not modified", async () => {
  const m = linear(W3, [0, 0, 0]);
  const { x, y } = batch();
  const before = Array.from(await x.data());
  for (const norm of ["linf", "l2"] as const) {
    const outs = [
      fgsm(m.f, x, y, { eps: 0, norm }),
      await pgd(m.f, x, y, { ...PGD, eps: 0, norm }),
      await pgd(m.f, x, y, { ...PGD, eps: 0.1, norm, randomStart: false }), // step size 0
      await apgd(m.f, x, y, { eps: 0, norm, steps: 10, seed: 1 }),
    ];
    for (const [k, o] of outs.entries()) {
      assertEquals(Array.from(await o.data()), before, `${norm} attack ${k}`);
    }
  }
  assertEquals(Array.from(await x.data()), before);
});

Deno.test("random starts are fixed by seed and sample id, not by batch composition", async () => {
  const m = linear(W3, [0, 0, 0]);
  const { x, y } = batch();
  const o = { ...PGD, eps: 0.05, norm: "linf" as const, steps: 2, stepSize: 0.001 };
  const a = await rows(await pgd(m.f, x, y, o));
  const b = await rows(await pgd(m.f, x, y, o));
  assertEquals(a, b);
  const c = await rows(await pgd(m.f, x, y, { ...o, seed: 8 }));
  assert(a[0].some((v, k) => v !== c[0][k]), "another seed gives another start");
  const single = await rows(
    await pgd(m.f, tf.slice(x, [2], [1]) as tf.Tensor4D, tf.slice(y, [2], [1]), { ...o, ids: [2] }),
  );
  assertEquals(single[0], a[2]);
});

Deno.test("PGD rejects bad options with the key in the message", async () => {
  const m = linear(W3, [0, 0, 0]);
  const { x, y } = batch();
  for (
    const [bad, key] of [[{ eps: -1 }, "eps"], [{ steps: 0 }, "steps"], [
      { restarts: 2, randomStart: false },
      "restarts",
    ]]
  ) {
    let msg = "";
    try {
      await pgd(m.f, x, y, { ...PGD, eps: 0.1, norm: "linf", ...bad as object });
    } catch (e) {
      msg = (e as Error).message;
    }
    assert(msg.includes(key as string), `message for ${JSON.stringify(bad)}: '${msg}'`);
  }
  assertThrows(() => fgsm(m.f, x, y, { eps: -0.1, norm: "l2" }), /eps/);
});

Deno.test("APGD checkpoints follow AutoAttack's schedule (22 %, shrinking by 3 % to at least 6 %)", () => {
  // N = 100: intervals 22, 19, 16, 13, 10, 7, 6, 6.
  assertEquals(apgdCheckpoints(100), [22, 41, 57, 70, 80, 87, 93, 99]);
  assertEquals(apgdCheckpoints(3), [1, 2, 3]);
});
