import * as tf from "@tensorflow/tfjs-core";
import { assert, assertEqualJson, assertLess } from "../assert.ts";
import { REF, relErr, runOn, seeded } from "../reference.ts";
import { conv2dTile } from "../../../../lib/backends/kernels/webgpu_conv2d.ts";
import { registerTrainingKernels } from "../../../../lib/backends/kernels/register_kernels.ts";
import { probeWebGpuAdapter } from "../../../../lib/backends/webgpu/adapter.ts";
import { WEBGPU_BACKEND } from "../../../../lib/backends/webgpu/backend.ts";

const noAdapter = (await probeWebGpuAdapter()) === null;
if (noAdapter) {
  console.warn(
    "webgpu Conv2D tests skipped: no WebGPU adapter (apt-get install -y mesa-vulkan-drivers for llvmpipe)",
  );
}

interface Case {
  x: [number, number, number, number];
  f: [number, number, number, number];
  s: number | [number, number];
  pad: "same" | "valid" | number;
}
// The convolutions of lib/models' cnn and resnet20 (batch 2), then strides [2,1], valid/explicit padding,
// 1×1/5×5/1×3 filters and channel counts that leave partial tiles.
const CASES: Case[] = [
  { x: [2, 32, 32, 3], f: [3, 3, 3, 16], s: 1, pad: "same" }, // cnn block1, resnet20 stem
  { x: [2, 32, 32, 16], f: [3, 3, 16, 32], s: 1, pad: "same" }, // cnn block2
  { x: [2, 16, 16, 32], f: [3, 3, 32, 64], s: 1, pad: "same" }, // cnn block3
  { x: [2, 32, 32, 16], f: [3, 3, 16, 16], s: 1, pad: "same" }, // resnet20 stage 1
  { x: [2, 32, 32, 16], f: [3, 3, 16, 32], s: 2, pad: "same" }, // resnet20 stage 2, first
  { x: [2, 16, 16, 32], f: [3, 3, 32, 32], s: 1, pad: "same" },
  { x: [2, 16, 16, 32], f: [3, 3, 32, 64], s: 2, pad: "same" }, // resnet20 stage 3, first
  { x: [2, 8, 8, 64], f: [3, 3, 64, 64], s: 1, pad: "same" },
  { x: [3, 9, 9, 3], f: [3, 3, 3, 5], s: 2, pad: "valid" },
  { x: [2, 9, 6, 2], f: [5, 5, 2, 3], s: 1, pad: "same" },
  { x: [2, 9, 6, 2], f: [1, 3, 2, 33], s: [2, 1], pad: "same" },
  { x: [3, 10, 10, 2], f: [3, 3, 2, 5], s: 3, pad: 1 },
  { x: [2, 8, 8, 16], f: [1, 1, 16, 64], s: 2, pad: "valid" },
];

function conv(c: Case, seed: number): tf.Tensor[] {
  const x = tf.tensor4d(seeded(tf.util.sizeFromShape(c.x), seed), c.x);
  const w = tf.tensor4d(seeded(tf.util.sizeFromShape(c.f), seed + 1), c.f);
  const y = tf.conv2d(x, w, c.s, c.pad);
  tf.dispose([x, w]);
  return [y];
}

Deno.test("conv2dTile: 64×16 blocks for narrow layers, 32×32 otherwise", () => {
  assertEqualJson([conv2dTile(16), conv2dTile(17), conv2dTile(64)], [[64, 16], [32, 32], [32, 32]], "tiles");
});

Deno.test({
  name:
    "webgpu implicit-GEMM Conv2D matches the stock cpu backend (cnn and resnet20 shapes; llvmpipe or a GPU)",
  ignore: noAdapter,
  fn: async () => {
    try {
      registerTrainingKernels("webgpu", { conv: "gemm" });
      const ours = tf.getKernel("Conv2D", WEBGPU_BACKEND)?.kernelFunc;
      const stock = tf.getKernel("Conv2D", "webgpu")?.kernelFunc;
      assert(ours !== undefined && ours !== stock, "our Conv2D is registered, not the stock one");
      for (const [i, c] of CASES.entries()) {
        const [ref] = await runOn(REF, () => conv(c, 900 + 3 * i));
        const [got] = await runOn(WEBGPU_BACKEND, () => conv(c, 900 + 3 * i));
        assertLess(relErr(ref, got), 2e-6, `y x${c.x.join("x")} f${c.f.join("x")} s${c.s} ${c.pad}`);
      }
    } finally {
      registerTrainingKernels("webgpu");
    }
  },
});
