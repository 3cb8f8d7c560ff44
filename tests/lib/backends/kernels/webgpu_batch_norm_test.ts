import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-webgpu";
import { assert, assertLess } from "../assert.ts";
import { REF, relErr, runOn } from "../reference.ts";
import { BN_SHAPES, bnPass, checkStatsFarFromZero } from "./batch_norm_cases.ts";
import {
  BN_APPLY,
  BN_GRAD_INPUT,
  BN_GRAD_REDUCE,
  BN_STATS,
  MOVING_AVERAGE,
  reductionPlan,
} from "../../../../lib/backends/kernels/webgpu_batch_norm.ts";
import { probeWebGpuAdapter } from "../../../../lib/backends/webgpu/adapter.ts";
import { registerWebGpuKernels } from "../../../../lib/backends/kernels/register_kernels.ts";
import { WEBGPU_BACKEND } from "../../../../lib/backends/webgpu/backend.ts";

const noAdapter = (await probeWebGpuAdapter()) === null;
if (noAdapter) console.warn("webgpu batch-norm tests skipped: no WebGPU adapter");

Deno.test({
  name: "webgpu batch-norm kernels train like the stock layer on cpu: y, dx, dγ, dβ, moving statistics",
  ignore: noAdapter,
  fn: async () => {
    registerWebGpuKernels(["batchNorm"]);
    for (const [i, shape] of BN_SHAPES.entries()) {
      for (const shift of [0, 50]) {
        const ref = await runOn(REF, () => bnPass(false, shape, 100 + i, shift));
        const got = await runOn(WEBGPU_BACKEND, () => bnPass(true, shape, 100 + i, shift));
        ["y", "dx", "dgamma", "dbeta", "moving mean", "moving variance"].forEach((name, k) => {
          assertLess(relErr(ref[k], got[k]), 2e-5, `${name}, shape [${shape}], shift ${shift}`);
        });
      }
    }
  },
});

Deno.test("reductionPlan covers every row with ≤ 4096 splits, coalesced lanes and ≥ 16 rows per thread", () => {
  for (const channels of [1, 3, 5, 16, 33, 64, 70, 512]) {
    for (const rows of [1, 7, 255, 256, 1300, 131072, 1 << 20, 1 << 26]) {
      const p = reductionPlan(channels, rows);
      const where = `channels ${channels}, rows ${rows}: ${JSON.stringify(p)}`;
      assert(p.lanes * p.rowLanes === 256 && p.lanes <= 64 && p.lanes >= Math.min(channels, 64), where);
      assert(p.rowsPerSplit % p.rowLanes === 0 && p.rowsPerSplit >= 16 * p.rowLanes, where);
      assert(p.splits <= 4096 && p.splits * p.rowsPerSplit >= rows, where);
      assert((p.splits - 1) * p.rowsPerSplit < rows || p.splits === 1, `no empty split: ${where}`);
    }
  }
  const plan = reductionPlan(16, 131072); // a 16-channel layer of ResNet20 at batch 128
  assert(plan.splits === 512 && plan.lanes === 16, `${JSON.stringify(plan)}`);
});

Deno.test({
  name: "webgpu batch-norm statistics stay accurate far from zero (shifted sums), vs float64 loops",
  ignore: noAdapter,
  fn: async () => {
    registerWebGpuKernels(["batchNorm"]);
    await checkStatsFarFromZero(WEBGPU_BACKEND, 4);
  },
});

Deno.test({
  name: "FastBatchNormalization on webgpu runs only our kernels for BN (6 per layer and step)",
  ignore: noAdapter,
  fn: async () => {
    registerWebGpuKernels(["batchNorm"]);
    await tf.setBackend(WEBGPU_BACKEND);
    const info = await tf.profile(() => bnPass(true, [4, 6, 6, 8], 3, 0).slice(1, 4));
    const names = info.kernels.map((k) => k.name);
    const ours = [BN_STATS, BN_APPLY, BN_GRAD_REDUCE, BN_GRAD_INPUT, MOVING_AVERAGE];
    for (const name of ours) assert(names.includes(name), `${name} ran`);
    // bnPass runs the forward twice (variableGrads, then grad w.r.t. x): 2 × (2 + 2 + 2).
    assert(names.filter((n) => ours.includes(n)).length === 12, `our kernel count in ${names}`);
    for (const banned of ["Mean", "Square", "FusedBatchNorm", "Rsqrt", "SquaredDifference"]) {
      assert(!names.includes(banned), `no ${banned} kernel`);
    }
  },
});
