import { ok as assert, throws as assertThrows } from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { misclassified } from "../../../lib/attacks/model.ts";
import type { Norm } from "../../../lib/attacks/norms.ts";
import { pgd } from "../../../lib/attacks/pgd.ts";
import { pgdLastIterate } from "../../../lib/train/adversarial_examples.ts";
import { randomStart } from "../../../lib/attacks/starts.ts";
import {
  assertClose,
  type Linear,
  linear,
  linearGradient,
  rows,
  uniforms,
  useCpu,
} from "../attacks/helpers.ts";

await useCpu();

const D = 16; // images of 4×4×1
const B = 4;
const W = [uniforms(D, 11, -1, 1), uniforms(D, 12, -1, 1), uniforms(D, 13, -1, 1)];
const X = uniforms(B * D, 14, 0.05, 0.95);

/** The model, with each sample labelled by its clean prediction (so every sample starts correct). */
async function setup(): Promise<{ m: Linear; x: tf.Tensor4D; y: tf.Tensor1D; labels: number[] }> {
  const m = linear(W, [0, 0, 0]);
  const x = tf.tensor4d(X, [B, 4, 4, 1]);
  const z = await rows(m.f(x));
  const labels = z.map((r) => r.indexOf(Math.max(...r)));
  return { m, x, y: tf.tensor1d(labels, "int32"), labels };
}

/** Float64 PGD from the given start: `steps` steps of x ← P(x + α·d(∇ₓ CE)), the last iterate. */
function referencePgd(
  m: Linear,
  start: number[][],
  labels: number[],
  o: { eps: number; norm: Norm; steps: number; stepSize: number },
): number[][] {
  return start.map((s, i) => {
    const x0 = X.slice(i * D, (i + 1) * D);
    let xk = s;
    for (let k = 0; k < o.steps; k++) {
      const g = linearGradient(m, xk, labels[i]);
      const gNorm = Math.max(Math.sqrt(g.reduce((a, v) => a + v * v, 0)), 1e-12);
      const moved = xk.map((v, j) => v + o.stepSize * (o.norm === "linf" ? Math.sign(g[j]) : g[j] / gNorm));
      if (o.norm === "linf") {
        xk = moved.map((v, j) =>
          Math.min(Math.min(x0[j] + o.eps, 1), Math.max(Math.max(x0[j] - o.eps, 0), v))
        );
      } else {
        const d = moved.map((v, j) => v - x0[j]);
        const dn = Math.max(Math.sqrt(d.reduce((a, v) => a + v * v, 0)), 1e-12);
        const scale = Math.min(o.eps / dn, 1);
        xk = d.map((v, j) => Math.min(1, Math.max(0, x0[j] + v * scale)));
      }
    }
    return xk;
  });
}

for (const norm of ["linf", "l2"] as const) {
  Deno.test(`pgdLastIterate ${norm}: every sample takes every step; equals float64 PGD from the same start`, async () => {
    const { m, x, y, labels } = await setup();
    const eps = norm === "linf" ? 0.2 : 1.0;
    const o = { eps, norm, steps: 6, stepSize: 2.5 * eps / 6 };
    const start = await rows(
      project01(
        x,
        randomStart(x, eps, norm, "ball", { seed: 5, ids: [0, 1, 2, 3], restart: 0, purpose: `pgd-${norm}` }),
        eps,
        norm,
      ),
    );
    const adv = pgdLastIterate(m.f, x, y, { ...o, seed: 5 });
    assertClose((await rows(adv)).flat(), referencePgd(m, start, labels, o).flat(), 1e-5, `${norm} iterates`);
    // The attack is strong enough that samples are broken before the last step: an early-stopping PGD would
    // have returned other points for them.
    const broken = Array.from(await misclassified(m.f(adv), y).data());
    assert(broken.some((v) => v === 1), `some sample broken: ${broken}`);
  });
}

/** The start as pgdLastIterate projects it (a ball start is already inside; the projection only clips). */
function project01(x: tf.Tensor4D, s: tf.Tensor4D, eps: number, norm: Norm): tf.Tensor4D {
  return tf.tidy(() => {
    if (norm === "linf") {
      return tf.minimum(tf.maximum(s, tf.maximum(tf.sub(x, eps), 0)), tf.minimum(tf.add(x, eps), 1));
    }
    return tf.clipByValue(s, 0, 1);
  }) as tf.Tensor4D;
}

Deno.test("pgdLastIterate goes past the first misclassified iterate, where the evaluation PGD stops", async () => {
  const { m, x, y, labels } = await setup();
  const eps = 0.2;
  const o = { eps, norm: "linf" as const, steps: 6, stepSize: 2.5 * eps / 6, seed: 5 };
  const last = await rows(pgdLastIterate(m.f, x, y, o));
  const stopped = await rows(await pgd(m.f, x, y, { ...o, randomStart: true, restarts: 1 }));
  // The loss at the last iterate is at least that of the point where the evaluation attack stopped.
  const ce = (v: number[], i: number) => {
    const z = W.map((row) => row.reduce((s, w, j) => s + w * v[j], 0));
    const zmax = Math.max(...z);
    return Math.log(z.reduce((s, zk) => s + Math.exp(zk - zmax), 0)) + zmax - z[labels[i]];
  };
  let differ = 0;
  for (let i = 0; i < B; i++) {
    assert(
      ce(last[i], i) >= ce(stopped[i], i) - 1e-5,
      `sample ${i}: loss ${ce(last[i], i)} < ${ce(stopped[i], i)}`,
    );
    if (Math.max(...last[i].map((v, j) => Math.abs(v - stopped[i][j]))) > 1e-6) differ++;
  }
  assert(differ > 0, "some sample continued past the point where the evaluation PGD stopped");
});

Deno.test("pgdLastIterate rejects bad options with the key in the message", async () => {
  const { m, x, y } = await setup();
  const ok = { eps: 0.1, norm: "linf" as const, steps: 2, stepSize: 0.05, seed: 1 };
  assertThrows(() => pgdLastIterate(m.f, x, y, { ...ok, steps: 0 }), /steps must be an integer ≥ 1/);
  assertThrows(() => pgdLastIterate(m.f, x, y, { ...ok, eps: -1 }), /eps must be ≥ 0/);
  assertThrows(() => pgdLastIterate(m.f, x, y, { ...ok, stepSize: Number.NaN }), /stepSize must be ≥ 0/);
});
