import * as tf from "@tensorflow/tfjs-core";
import { assert, assertLess } from "../assert.ts";
import { REF, relErr, runOn, seeded } from "../reference.ts";
import { BN_SHAPES, bnPass, checkStatsFarFromZero } from "./batch_norm_cases.ts";
import { initBackend } from "../../../../lib/backends/select.ts";
import {
  BN_APPLY,
  BN_GRAD_INPUT,
  BN_GRAD_REDUCE,
  BN_STATS,
  MOVING_AVERAGE,
} from "../../../../lib/backends/kernels/webgpu_batch_norm.ts";
import { wasmBatchNormKernels } from "../../../../lib/backends/kernels/wasm_batch_norm.ts";
import {
  registerWasmKernels,
  unregisterWasmKernels,
} from "../../../../lib/backends/kernels/register_kernels.ts";
import { SimdPool } from "../../../../lib/backends/wasm/simd_pool.ts";

await initBackend("wasm", { threads: 2 });

Deno.test("wasm batch-norm kernels train like the stock layer on cpu: y, dx, dγ, dβ, moving statistics", async () => {
  registerWasmKernels();
  for (const [i, shape] of BN_SHAPES.entries()) {
    for (const shift of [0, 50]) {
      const ref = await runOn(REF, () => bnPass(false, shape, 100 + i, shift));
      const got = await runOn("wasm", () => bnPass(true, shape, 100 + i, shift));
      ["y", "dx", "dgamma", "dbeta", "moving mean", "moving variance"].forEach((name, k) => {
        assertLess(relErr(ref[k], got[k]), 2e-5, `${name}, shape [${shape}], shift ${shift}`);
      });
    }
  }
});

Deno.test("FastBatchNormalization on wasm runs our kernels, and the tf-op path when they are unregistered", async () => {
  const ours = [BN_STATS, BN_APPLY, BN_GRAD_REDUCE, BN_GRAD_INPUT, MOVING_AVERAGE];
  await tf.setBackend("wasm");
  try {
    for (const registered of [true, false]) {
      if (registered) registerWasmKernels();
      else unregisterWasmKernels(["batchNorm"]);
      const info = await tf.profile(() => bnPass(true, [4, 6, 6, 8], 3, 0).slice(1, 4));
      const names = info.kernels.map((k) => k.name);
      const count = names.filter((n) => ours.includes(n)).length;
      // bnPass runs the forward twice (variableGrads, then grad w.r.t. x): 2 × (2 + 2 + 2).
      assert(
        count === (registered ? 12 : 0),
        `registered ${registered}: ${count} of our kernels in ${names}`,
      );
      assert(registered === !names.includes("Mean"), `registered ${registered}: Mean ran? ${names}`);
    }
  } finally {
    registerWasmKernels();
  }
});

/** Runs one kernel config's function on wasm tensors and reads each of its outputs. */
function runConfigMany(
  config: tf.KernelConfig,
  inputs: Record<string, tf.Tensor>,
  attrs: tf.NamedAttrMap = {},
) {
  const backend = tf.backend();
  const result = config.kernelFunc({ inputs, attrs, backend }) as tf.TensorInfo | tf.TensorInfo[];
  return (Array.isArray(result) ? result : [result]).map((out) => {
    const values = Float32Array.from(backend.readSync(out.dataId) as Float32Array);
    backend.disposeData(out.dataId);
    return values;
  });
}

/** Runs a one-output kernel config's function on wasm tensors and reads its output. */
function runConfig(config: tf.KernelConfig, inputs: Record<string, tf.Tensor>, attrs: tf.NamedAttrMap = {}) {
  return runConfigMany(config, inputs, attrs)[0];
}

Deno.test("wasm batch-norm kernels give the same bits on 1, 2 and 3 threads", async () => {
  await tf.setBackend("wasm");
  const runs = [1, 2, 3].map((threads) => {
    const pool = SimdPool.create(tf.backend(), threads);
    const byName = new Map(wasmBatchNormKernels(() => pool).map((c) => [c.kernelName, c]));
    // 3 × 700 rows: several 512-row chunks, the last one partial; 70 channels: 2 past the last group of 4.
    const shape = [3, 700, 70];
    const x = tf.tensor(seeded(3 * 700 * 70, 1), shape);
    const dy = tf.tensor(seeded(3 * 700 * 70, 2), shape);
    const gamma = tf.tensor(seeded(70, 3)), beta = tf.tensor(seeded(70, 4));
    const epsilon = 1e-3;
    const stats = runConfig(byName.get(BN_STATS)!, { x });
    const statsT = tf.tensor(stats, [2, 70]);
    const [dbeta, dgamma] = runConfigMany(byName.get(BN_GRAD_REDUCE)!, { dy, x, stats: statsT }, { epsilon });
    const outs = [
      stats,
      runConfig(byName.get(BN_APPLY)!, { x, stats: statsT, gamma, beta }, { epsilon }),
      dbeta,
      dgamma,
      runConfig(byName.get(BN_GRAD_INPUT)!, {
        dy,
        x,
        stats: statsT,
        gamma,
        dgamma: tf.tensor(dgamma),
        dbeta: tf.tensor(dbeta),
      }, { epsilon }),
    ];
    return { threads: pool.threads, outs };
  });
  for (const run of runs.slice(1)) {
    run.outs.forEach((values, k) => {
      const same = values.every((v, i) => Object.is(v, runs[0].outs[k][i]));
      assert(same, `output ${k} on ${run.threads} threads differs from 1 thread`);
    });
  }
});

Deno.test("wasm batch-norm statistics stay accurate far from zero (shifted sums), vs float64 loops", async () => {
  registerWasmKernels();
  await checkStatsFarFromZero("wasm", 6);
});
