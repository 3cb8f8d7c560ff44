import * as tf from "@tensorflow/tfjs-core";
import { assertEqualJson, assertLess } from "../assert.ts";
import { REF, relErr, runOn, seeded } from "../reference.ts";
import {
  filterGradTiledWebGpu,
  planFilterGrad,
} from "../../../../lib/backends/kernels/webgpu_filter_grad.ts";
import { replaceKernel, restoreKernel } from "../../../../lib/backends/kernels/kernel_registry.ts";
import { probeWebGpuAdapter } from "../../../../lib/backends/webgpu/adapter.ts";
import "@tensorflow/tfjs-backend-webgpu";
// Registers the gradient configs (tfjs-core alone does not).
import "@tensorflow/tfjs-layers";
import { WEBGPU_BACKEND } from "../../../../lib/backends/webgpu/backend.ts";

const noAdapter = (await probeWebGpuAdapter()) === null;
if (noAdapter) {
  console.warn(
    "webgpu dW tests skipped: no WebGPU adapter (apt-get install -y mesa-vulkan-drivers for llvmpipe)",
  );
}

Deno.test("planFilterGrad splits K until the GPU is busy, never into empty slices", () => {
  const small = planFilterGrad(144, 16, 128 * 32 * 32); // 3×3 16→16, batch 128
  assertEqualJson([small.tileM, small.tileN, small.tilesM, small.tilesN], [64, 16, 3, 1], "64×16 blocks");
  const wide = planFilterGrad(288, 32, 128 * 16 * 16); // 3×3 32→32
  assertEqualJson([wide.tileM, wide.tileN, wide.tilesM, wide.tilesN], [32, 32, 9, 1], "32×32 blocks");
  assertLess(1023, small.tilesM * small.tilesN * small.splits + 5, "about 1024 workgroups");
  assertLess((small.splits - 1) * small.kTilesPerSplit, 4096, "last slice is not empty");
  const big = planFilterGrad(4608, 512, 128 * 4 * 4); // 3×3 512→512 on 4×4: already 2,304 tiles
  assertEqualJson(big.splits, 1, "no split when the tiles fill the GPU");
  const tiny = planFilterGrad(9, 4, 40); // K of two tiles: too short to split
  assertEqualJson(tiny.splits, 1, "short K");
});

interface Case {
  x: [number, number, number, number];
  f: [number, number, number, number];
  s: number | [number, number];
  pad: "same" | "valid" | number;
  /** Smaller targets force split-K on small shapes. */
  target: number;
}
// Strides 1/2/[2,1], same/valid/explicit, 1×1/3×3/5×5/1×3, channel counts below, at and above the 32 tile,
// single slice and split-K.
const CASES: Case[] = [
  { x: [2, 7, 7, 3], f: [3, 3, 3, 4], s: 1, pad: "same", target: 1 },
  { x: [2, 7, 7, 3], f: [3, 3, 3, 4], s: 2, pad: "same", target: 64 },
  { x: [2, 9, 9, 3], f: [3, 3, 3, 5], s: 2, pad: "valid", target: 64 },
  { x: [2, 8, 8, 4], f: [1, 1, 4, 6], s: 2, pad: "same", target: 64 },
  { x: [2, 9, 6, 2], f: [5, 5, 2, 3], s: 1, pad: "same", target: 64 },
  { x: [2, 9, 6, 2], f: [1, 3, 2, 3], s: [2, 1], pad: "same", target: 64 },
  { x: [3, 10, 10, 2], f: [3, 3, 2, 5], s: 3, pad: 1, target: 64 },
  { x: [4, 12, 12, 32], f: [3, 3, 32, 32], s: 1, pad: "same", target: 64 },
  { x: [4, 12, 12, 33], f: [3, 3, 33, 40], s: 2, pad: "same", target: 1024 },
  { x: [8, 16, 16, 16], f: [3, 3, 16, 16], s: 1, pad: "same", target: 1024 },
  { x: [2, 8, 8, 16], f: [1, 1, 16, 64], s: 2, pad: "valid", target: 1 },
];

function filterGrad(c: Case, seed: number): tf.Tensor[] {
  const x = tf.tensor4d(seeded(tf.util.sizeFromShape(c.x), seed), c.x);
  const w = tf.tensor4d(seeded(tf.util.sizeFromShape(c.f), seed + 1), c.f);
  const y = tf.conv2d(x, w, c.s, c.pad);
  const r = tf.tensor(seeded(y.size, seed + 2), y.shape);
  const dw = tf.grad((b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, b as tf.Tensor4D, c.s, c.pad), r)))(w);
  tf.dispose([x, w, y, r]);
  return [dw];
}

Deno.test({
  name: "webgpu tiled split-K dW matches the stock cpu backend (llvmpipe or a GPU)",
  ignore: noAdapter,
  fn: async () => {
    const splitCounts: number[] = [];
    try {
      for (const [i, c] of CASES.entries()) {
        const [ref] = await runOn(REF, () => filterGrad(c, 700 + 3 * i));
        replaceKernel("Conv2DBackpropFilter", WEBGPU_BACKEND, filterGradTiledWebGpu(c.target));
        const [got] = await runOn(WEBGPU_BACKEND, () => filterGrad(c, 700 + 3 * i));
        const info = tf.backend_util.computeConv2DInfo(c.x, c.f, c.s, 1, c.pad);
        const plan = planFilterGrad(
          c.f[0] * c.f[1] * c.f[2],
          c.f[3],
          c.x[0] * info.outHeight * info.outWidth,
          c.target,
        );
        splitCounts.push(plan.splits);
        const what = `x${c.x.join("x")} f${c.f.join("x")} s${c.s} ${c.pad}, ${plan.splits} K slice(s)`;
        assertLess(relErr(ref, got), 2e-6, `dW ${what}`);
      }
      assertEqualJson(
        [splitCounts.includes(1), splitCounts.some((n) => n > 2)],
        [true, true],
        "both paths ran",
      );
    } finally {
      restoreKernel("Conv2DBackpropFilter", WEBGPU_BACKEND);
    }
  },
});
