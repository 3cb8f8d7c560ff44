import * as tf from "@tensorflow/tfjs-core";
import { assert, assertEqualJson, assertLess } from "../assert.ts";
import { REF, relErr, runOn, seeded } from "../reference.ts";
import { convGemmTile } from "../../../../lib/backends/kernels/webgpu_conv_gemm.ts";
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

// Enough output rows for the widest workgroups (CASES, at batch 2, run on 64-thread ones).
const LARGE: Case[] = [
  { x: [64, 32, 32, 3], f: [3, 3, 3, 16], s: 1, pad: "same" },
  { x: [32, 32, 32, 8], f: [3, 3, 8, 32], s: 1, pad: "same" },
  { x: [64, 32, 32, 16], f: [3, 3, 16, 64], s: 2, pad: "same" },
  { x: [64, 32, 32, 3], f: [3, 3, 3, 5], s: 1, pad: "same" }, // 8 columns: 128 threads
];

function conv(c: Case, seed: number): tf.Tensor[] {
  const x = tf.tensor4d(seeded(tf.util.sizeFromShape(c.x), seed), c.x);
  const w = tf.tensor4d(seeded(tf.util.sizeFromShape(c.f), seed + 1), c.f);
  const y = tf.conv2d(x, w, c.s, c.pad);
  tf.dispose([x, w]);
  return [y];
}

/** The fused forward of tfjs-layers (no bias, linear), then with bias and ReLU. */
function fused(c: Case, seed: number): tf.Tensor[] {
  const x = tf.tensor4d(seeded(tf.util.sizeFromShape(c.x), seed), c.x);
  const w = tf.tensor4d(seeded(tf.util.sizeFromShape(c.f), seed + 1), c.f);
  const bias = tf.tensor1d(seeded(c.f[3], seed + 2));
  const plain = tf.fused.conv2d({ x, filter: w, strides: c.s, pad: c.pad });
  const biasRelu = tf.fused.conv2d({ x, filter: w, strides: c.s, pad: c.pad, bias, activation: "relu" });
  tf.dispose([x, w, bias]);
  return [plain, biasRelu];
}

/** dx of the convolution: `Conv2DBackpropInput` of a seeded dy. */
function inputGrad(c: Case, seed: number): tf.Tensor[] {
  const y = tf.tidy(() => tf.conv2d(tf.zeros<tf.Rank.R4>(c.x), tf.zeros<tf.Rank.R4>(c.f), c.s, c.pad));
  const dy = tf.tensor4d(seeded(y.size, seed), y.shape as [number, number, number, number]);
  const w = tf.tensor4d(seeded(tf.util.sizeFromShape(c.f), seed + 1), c.f);
  const dx = tf.conv2dTranspose(dy, w, c.x, c.s, c.pad);
  tf.dispose([y, dy, w]);
  return [dx];
}

Deno.test("convGemmTile: the narrowest of 4…64 columns, 4×4 a thread, 64 threads when blocks are few", () => {
  const tile = (cols: number, rows?: number) => {
    const t = convGemmTile(cols, rows);
    return [t.tileM, t.tileN, t.threads];
  };
  assertEqualJson(
    [tile(1), tile(3), tile(5), tile(16), tile(17), tile(32), tile(64), tile(65)],
    [
      [256, 4, 64],
      [256, 4, 64],
      [256, 8, 128],
      [256, 16, 256],
      [128, 32, 256],
      [128, 32, 256],
      [64, 64, 256],
      [64, 64, 256],
    ],
    "large layers",
  );
  // ResNet20's last stage at batch 128 (8·8·128 rows, 64 columns): 128 blocks of 64×64 are too few.
  assertEqualJson(tile(64, 8 * 8 * 128), [16, 64, 64], "few rows");
  assertEqualJson(tile(64, 8 * 8 * 512), [64, 64, 256], "batch 512");
  assertEqualJson(tile(16, 4 * 32 * 32), [64, 16, 64], "batch 4");
});

Deno.test({
  name:
    "webgpu implicit-GEMM Conv2D, FusedConv2D and dx match the cpu backend (cnn, resnet20 shapes; llvmpipe or GPU)",
  ignore: noAdapter,
  fn: async () => {
    try {
      registerTrainingKernels("webgpu", { conv: "gemm", inputGrad: "gemm" });
      for (const name of ["Conv2D", "FusedConv2D", "Conv2DBackpropInput"]) {
        const ours = tf.getKernel(name, WEBGPU_BACKEND)?.kernelFunc;
        const stock = tf.getKernel(name, "webgpu")?.kernelFunc;
        assert(ours !== undefined && ours !== stock, `our ${name} is registered, not the stock one`);
      }
      const checks: [string, (c: Case, seed: number) => tf.Tensor[]][] = [
        ["Conv2D", conv],
        ["FusedConv2D", fused],
        ["Conv2DBackpropInput", inputGrad],
      ];
      for (const [name, op] of checks) {
        for (const [i, c] of CASES.entries()) {
          const refs = await runOn(REF, () => op(c, 900 + 3 * i));
          const gots = await runOn(WEBGPU_BACKEND, () => op(c, 900 + 3 * i));
          for (const [j, ref] of refs.entries()) {
            const what = `${name}[${j}] x${c.x.join("x")} f${c.f.join("x")} s${c.s} ${c.pad}`;
            assertLess(relErr(ref, gots[j]), 2e-6, what);
          }
        }
      }
    } finally {
      registerTrainingKernels("webgpu");
    }
  },
});

Deno.test({
  name:
    "webgpu implicit-GEMM Conv2D, FusedConv2D and dx equal tfjs's webgpu kernels bit for bit (both block sizes)",
  ignore: noAdapter,
  fn: async () => {
    const ops = [conv, fused, inputGrad];
    const ALL = [...CASES, ...LARGE];
    const run = async (mode: "gemm" | "stock") => {
      registerTrainingKernels("webgpu", { conv: mode, inputGrad: mode });
      const out: Float32Array[][] = [];
      for (const [i, op] of ops.entries()) {
        for (const [j, c] of ALL.entries()) {
          out.push(await runOn(WEBGPU_BACKEND, () => op(c, 500 + 7 * i + j)));
        }
      }
      return out;
    };
    try {
      const stock = await run("stock");
      const ours = await run("gemm");
      for (const [n, arrays] of stock.entries()) {
        const op = ops[Math.floor(n / ALL.length)].name, c = ALL[n % ALL.length];
        for (const [j, s] of arrays.entries()) {
          const differing = s.filter((v, k) => !Object.is(v, ours[n][j][k])).length;
          assertEqualJson(differing, 0, `${op}[${j}] x${c.x.join("x")} f${c.f.join("x")} s${c.s} ${c.pad}`);
        }
      }
    } finally {
      registerTrainingKernels("webgpu");
    }
  },
});
