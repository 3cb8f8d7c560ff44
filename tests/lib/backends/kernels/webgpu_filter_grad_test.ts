import * as tf from "@tensorflow/tfjs-core";
import { assertEqualJson, assertLess } from "../assert.ts";
import { REF, relErr, runOn, seeded } from "../reference.ts";
import {
  filterGradDirectWebGpu,
  filterGradTiledWebGpu,
  planFilterGrad,
} from "../../../../lib/backends/kernels/webgpu_filter_grad.ts";
import { planFilterGradDirect } from "../../../../lib/backends/kernels/webgpu_filter_grad_direct.ts";
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

type Shape4 = [number, number, number, number];

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
        // The plan of the channels as the program sees them (1 or 3 are padded to 4).
        const ci4 = Math.ceil(c.f[2] / 4) * 4;
        const f4: [number, number, number, number] = [c.f[0], c.f[1], ci4, c.f[3]];
        const info = tf.backend_util.computeConv2DInfo([c.x[0], c.x[1], c.x[2], ci4], f4, c.s, 1, c.pad);
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

Deno.test("planFilterGradDirect: stride 1 and channels in fours only; blocks and tiles that fit", () => {
  const info = (x: number[], f: number[], s = 1, pad: "same" | "valid" = "same") =>
    tf.backend_util.computeConv2DInfo(x as Shape4, f as Shape4, s, 1, pad);
  const r16 = planFilterGradDirect(info([128, 32, 32, 16], [3, 3, 16, 16]))!;
  assertEqualJson(
    [r16.tileH, r16.tileW, r16.ciBlock, r16.coBlock, r16.threads, r16.tiles, r16.tilesPerSplit, r16.splits],
    [8, 8, 16, 16, 144, 2048, 4, 512],
    "ResNet20's 16-channel layers",
  );
  const cnn = planFilterGradDirect(info([128, 28, 28, 16], [3, 3, 16, 32]))!;
  assertEqualJson([cnn.tileH, cnn.tileW, cnn.tilesW], [7, 7, 4], "28 wide: tiles of 7 (no wasted pixels)");
  assertEqualJson(planFilterGradDirect(info([2, 8, 8, 16], [3, 3, 16, 16], 2)), null, "stride 2");
  assertEqualJson(planFilterGradDirect(info([2, 8, 8, 3], [3, 3, 3, 16])), null, "3 channels");
  for (
    const [x, f] of [[[4, 9, 9, 64], [3, 3, 64, 64]], [[4, 9, 9, 64], [1, 1, 64, 64]], [[4, 9, 9, 8], [
      5,
      5,
      8,
      4,
    ]]]
  ) {
    const p = planFilterGradDirect(info(x, f))!;
    const shared = ((p.tileH + f[0] - 1) * (p.tileW + f[1] - 1) * p.ciBlock + p.tileH * p.tileW * p.coBlock) *
      4;
    const what = `x${x.join("x")} f${f.join("x")}`;
    assertLess(p.threads, 257, `${what}: threads`);
    assertLess(shared, 16385, `${what}: workgroup memory`);
    assertLess((p.splits - 1) * p.tilesPerSplit, p.tiles, `${what}: no empty split`);
  }
});

// Stride 1 with channels in fours: 1×1, 3×3, 5×5, 1×3; same, valid, explicit; images that 8×8 tiles cut
// unevenly; one split, a few (one summing pass) and many (two passes: more than 32 splits).
const DIRECT_CASES: Case[] = [
  { x: [2, 7, 7, 4], f: [3, 3, 4, 4], s: 1, pad: "same", target: 1 },
  { x: [3, 9, 13, 8], f: [3, 3, 8, 12], s: 1, pad: "same", target: 64 },
  { x: [2, 10, 9, 4], f: [5, 5, 4, 8], s: 1, pad: "valid", target: 64 },
  { x: [2, 11, 10, 8], f: [1, 3, 8, 4], s: 1, pad: 1, target: 64 },
  { x: [4, 8, 8, 64], f: [1, 1, 64, 32], s: 1, pad: "same", target: 64 },
  { x: [40, 16, 16, 16], f: [3, 3, 16, 16], s: 1, pad: "same", target: 1024 },
  { x: [6, 12, 12, 32], f: [3, 3, 32, 64], s: 1, pad: "same", target: 1024 },
  // First layers: 1 and 3 input channels, run on x padded with zero channels to 4.
  { x: [8, 28, 28, 1], f: [3, 3, 1, 16], s: 1, pad: "same", target: 64 },
  { x: [4, 32, 32, 3], f: [3, 3, 3, 16], s: 1, pad: "same", target: 256 },
];

Deno.test({
  name: "webgpu direct dW matches the stock cpu backend, with the same bits on every run (llvmpipe or a GPU)",
  ignore: noAdapter,
  fn: async () => {
    const splitCounts: number[] = [];
    try {
      for (const [i, c] of DIRECT_CASES.entries()) {
        replaceKernel("Conv2DBackpropFilter", WEBGPU_BACKEND, filterGradDirectWebGpu(c.target));
        const [ref] = await runOn(REF, () => filterGrad(c, 900 + 3 * i));
        const [got] = await runOn(WEBGPU_BACKEND, () => filterGrad(c, 900 + 3 * i));
        const [again] = await runOn(WEBGPU_BACKEND, () => filterGrad(c, 900 + 3 * i));
        // The plan of the channels as the program sees them (1 or 3 are padded to 4).
        const ci4 = Math.ceil(c.f[2] / 4) * 4;
        const f4: [number, number, number, number] = [c.f[0], c.f[1], ci4, c.f[3]];
        const info = tf.backend_util.computeConv2DInfo([c.x[0], c.x[1], c.x[2], ci4], f4, c.s, 1, c.pad);
        const plan = planFilterGradDirect(info, c.target)!;
        splitCounts.push(plan.splits);
        const what = `x${c.x.join("x")} f${c.f.join("x")} ${c.pad}, ${plan.splits} split(s)`;
        assertLess(relErr(ref, got), 2e-6, `dW ${what}`);
        assertEqualJson(got.some((v, k) => !Object.is(v, again[k])), false, `${what}: the same bits twice`);
      }
      assertEqualJson(
        [splitCounts.includes(1), splitCounts.some((n) => n > 1 && n <= 32), splitCounts.some((n) => n > 32)],
        [true, true, true],
        `one split, one summing pass and two (${splitCounts})`,
      );
      const pipelines = Object.keys((tf.backend() as unknown as { pipelineCache: object }).pipelineCache);
      const ran = pipelines.filter((k) => k.includes("ourFilterGradDirect")).length;
      assertLess(DIRECT_CASES.length - 1, ran, `the direct program ran for every case (${ran} pipelines)`);
    } finally {
      restoreKernel("Conv2DBackpropFilter", WEBGPU_BACKEND);
    }
  },
});
