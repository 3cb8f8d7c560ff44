import { deepStrictEqual as assertEquals, ok as assert, throws as assertThrows } from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import {
  checkEpsZero,
  checkInBall,
  checkMonotone,
  checkStronger,
  effectiveTolerance,
  perturbationStats,
  SanityCheckError,
} from "../../../lib/attacks/checks.ts";
import { fgsm } from "../../../lib/attacks/fgsm.ts";
import { accuracyOf, allOf, curveArea } from "../../../lib/attacks/metrics.ts";
import { linear, uniforms, useCpu } from "./helpers.ts";

await useCpu();

const D = 16;
const W = [uniforms(D, 11, -1, 1), uniforms(D, 12, -1, 1)];
const X = tf.tensor4d(uniforms(4 * D, 13, 0.2, 0.8), [4, 4, 4, 1]);
const Y = tf.tensor1d([0, 1, 0, 1], "int32");

function expectCheck(fn: () => unknown, check: string, attack: string, eps: number | null): void {
  assertThrows(fn, (e: unknown) => {
    assert(e instanceof SanityCheckError, `not a SanityCheckError: ${e}`);
    assertEquals([e.check, e.attack, e.eps], [check, attack, eps]);
    assert(e.message.includes(check) && e.message.includes(attack), e.message);
    if (eps !== null) assert(e.message.includes(`eps ${eps}`), e.message);
    return true;
  });
}

Deno.test("perturbation stats match a hand computation (L∞ max, L2 norms, range, NaN rows)", async () => {
  const x = tf.tensor4d([0, 0, 0, 0, 0.5, 0.5, 0.5, 0.5], [2, 2, 2, 1]);
  const adv = tf.tensor4d([0.3, 0, 0.4, 0, 0.5, NaN, 0.5, 0.9], [2, 2, 2, 1]);
  const l2 = await perturbationStats(x, adv, "l2");
  // Row 0: δ = (0.3, 0, 0.4, 0), ‖δ‖₂ = 0.5; row 1 has a NaN and is left out of the norm and range.
  assert(Math.abs(l2.maxNorm - 0.5) < 1e-6, `L2 max ${l2.maxNorm}`);
  assertEquals([l2.min, l2.max, l2.nanSamples, l2.samples], [0, Math.fround(0.9), 1, 2]);
  const inf = await perturbationStats(x, adv, "linf");
  assert(Math.abs(inf.maxNorm - 0.4) < 1e-6, `L∞ max ${inf.maxNorm}`);
});

Deno.test("in-ball passes a correct FGSM and catches an attack that overshoots eps", async () => {
  const m = linear(W, [0, 0]);
  for (const norm of ["linf", "l2"] as const) {
    const eps = norm === "linf" ? 8 / 255 : 0.5;
    const good = await perturbationStats(X, fgsm(m.f, X, Y, { eps, norm }), norm);
    assertEquals(checkInBall(`fgsm-${norm}`, norm, eps, good).check, "in-ball");
    // A broken attack: the step of a 10 % larger eps.
    const broken = await perturbationStats(X, fgsm(m.f, X, Y, { eps: eps * 1.1, norm }), norm);
    expectCheck(() => checkInBall(`fgsm-${norm}`, norm, eps, broken), "in-ball", `fgsm-${norm}`, eps);
  }
});

Deno.test("in-ball catches pixels outside [0, 1] and NaN", async () => {
  const shifted = await perturbationStats(X, tf.add(X, 0.0) as tf.Tensor4D, "linf");
  expectCheck(
    () => checkInBall("pgd-linf", "linf", 0.1, { ...shifted, max: 1.01 }),
    "in-ball",
    "pgd-linf",
    0.1,
  );
  const nan = await perturbationStats(X, tf.mul(X, NaN) as tf.Tensor4D, "linf");
  expectCheck(() => checkInBall("pgd-linf", "linf", 0.1, nan), "in-ball", "pgd-linf", 0.1);
});

Deno.test("eps-zero demands x_adv = x and robust accuracy = clean accuracy exactly", async () => {
  const same = await perturbationStats(X, X, "l2");
  assertEquals(checkEpsZero("pgd-l2", same, 0.75, 0.75).check, "eps-zero");
  expectCheck(() => checkEpsZero("pgd-l2", same, 0.74, 0.75), "eps-zero", "pgd-l2", 0);
  const moved = await perturbationStats(X, tf.add(X, 1e-3) as tf.Tensor4D, "l2");
  expectCheck(() => checkEpsZero("pgd-l2", moved, 0.75, 0.75), "eps-zero", "pgd-l2", 0);
});

Deno.test("monotone-eps allows rises within the tolerance and names the eps of a larger rise", () => {
  const curve = [{ eps: 0, accuracy: 0.9 }, { eps: 0.02, accuracy: 0.5 }, { eps: 0.01, accuracy: 0.6 }];
  assertEquals(checkMonotone("pgd-linf", curve, 0).check, "monotone-eps");
  const noisy = [...curve, { eps: 0.03, accuracy: 0.504 }];
  assertEquals(checkMonotone("pgd-linf", noisy, 0.005).check, "monotone-eps");
  expectCheck(() => checkMonotone("pgd-linf", noisy, 0.002), "monotone-eps", "pgd-linf", 0.03);
  assertEquals(effectiveTolerance(0.001, 200), 0.005);
  assertEquals(effectiveTolerance(0.01, 200), 0.01);
});

Deno.test("pgd-vs-fgsm fails when the iterative attack is weaker than the single step", () => {
  const fgsmCurve = [{ eps: 0, accuracy: 0.9 }, { eps: 0.1, accuracy: 0.4 }];
  const ok = [{ eps: 0, accuracy: 0.9 }, { eps: 0.1, accuracy: 0.2 }];
  assertEquals(checkStronger("pgd-linf", ok, "fgsm-linf", fgsmCurve, 0).check, "pgd-vs-fgsm");
  const weak = [{ eps: 0, accuracy: 0.9 }, { eps: 0.1, accuracy: 0.45 }];
  expectCheck(
    () => checkStronger("pgd-linf", weak, "fgsm-linf", fgsmCurve, 0.01),
    "pgd-vs-fgsm",
    "pgd-linf",
    0.1,
  );
});

Deno.test("curve area: trapezoid normalised by the largest eps, with (0, clean) added when 0 is missing", () => {
  const c = [{ eps: 0, accuracy: 0.9 }, { eps: 0.1, accuracy: 0.5 }, { eps: 0.3, accuracy: 0.1 }];
  // (0.1·0.7 + 0.2·0.3) / 0.3 = 0.13 / 0.3
  assert(Math.abs(curveArea(c, 0.9) - 0.13 / 0.3) < 1e-12);
  assert(Math.abs(curveArea(c.slice(1), 0.9) - 0.13 / 0.3) < 1e-12);
  assertThrows(() => curveArea([{ eps: 0, accuracy: 1 }], 1), /eps > 0/);
  assertEquals(accuracyOf(Uint8Array.of(1, 0, 1, 1)), 0.75);
  assertEquals(Array.from(allOf([Uint8Array.of(1, 1, 0), Uint8Array.of(1, 0, 1)])), [1, 0, 0]);
});
