import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import assert from "node:assert/strict";
import { initBackend } from "../../../lib/backends/select.ts";
import { unitGradientNorms } from "../../../lib/gradients/unit_gradients.ts";
import { Rng } from "../../../lib/random.ts";

await initBackend("cpu");

/**
 * 1×1 convolution (no bias) + ReLU on 2×2×3 inputs: a_u(x) = ¼ Σ_p relu(w_u·x_p), so
 * ∂a_u/∂x_{p,c} = ¼ w_{u,c} 1[w_u·x_p > 0] and ‖g_u‖₂ = ¼‖w_u‖₂ √(#active pixels), ‖g_u‖₁ = ¼‖w_u‖₁ #active.
 */
Deno.test("closed-form gradient norms of a linear layer + ReLU, any chunking of samples and units", async () => {
  const rng = new Rng(8);
  const units = 5, c = 3;
  const w = Array.from({ length: units }, () => Array.from({ length: c }, () => rng.normal()));
  w[4] = [0, 0, 0]; // a unit with no gradient
  const input = tfl.input({ shape: [2, 2, c] });
  const conv = tfl.layers.conv2d({ filters: units, kernelSize: 1, useBias: false, name: "conv" });
  const out = tfl.layers.reLU({ name: "relu" }).apply(conv.apply(input)) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: out });
  // Kernel [1, 1, c, units]: flat index k·units + u holds w[u][k].
  conv.setWeights([
    tf.tensor4d(Array.from({ length: c * units }, (_, i) => w[i % units][Math.floor(i / units)]), [
      1,
      1,
      c,
      units,
    ]),
  ]);

  const n = 7;
  const pixels = Array.from({ length: n * 4 * c }, () => rng.normal());
  const x = tf.tensor4d(pixels, [n, 2, 2, c]);
  const expected = (norm: "l2" | "l1") =>
    w.map((wu) =>
      Array.from({ length: n }, (_, i) => {
        let active = 0;
        for (let p = 0; p < 4; p++) {
          const dot = wu.reduce((s, wc, k) => s + wc * pixels[(i * 4 + p) * c + k], 0);
          if (dot > 0) active++;
        }
        return norm === "l2"
          ? Math.hypot(...wu) / 4 * Math.sqrt(active)
          : wu.reduce((s, v) => s + Math.abs(v), 0) / 4 * active;
      })
    );
  for (const norm of ["l2", "l1"] as const) {
    for (const maxBatch of [1, 3, 16, 1000]) {
      const got = await unitGradientNorms(model, "relu", x, { norm, maxBatch });
      const want = expected(norm);
      assert.equal(got.length, units);
      got.forEach((row, u) =>
        row.forEach((v, i) =>
          assert.ok(
            Math.abs(v - want[u][i]) < 1e-5,
            `${norm} maxBatch ${maxBatch} u${u} i${i}: ${v} vs ${want[u][i]}`,
          )
        )
      );
    }
  }
  await assert.rejects(
    () => unitGradientNorms(model, "nope", x, { norm: "l2", maxBatch: 4 }),
    /no layer 'nope'/,
  );
});
