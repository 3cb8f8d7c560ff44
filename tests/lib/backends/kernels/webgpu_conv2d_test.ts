import * as tf from "@tensorflow/tfjs-core";
import { assert, assertEqualJson, assertLess } from "../assert.ts";
import { REF, relErr, runOn, seeded } from "../reference.ts";
import { convGemmTile } from "../../../../lib/backends/kernels/webgpu_conv_gemm.ts";
import { convDirectFits, convDirectTile } from "../../../../lib/backends/kernels/webgpu_conv_direct.ts";
import { nhwcConvInfo } from "../../../../lib/backends/kernels/conv_info.ts";
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

// For the direct program (stride 1, channels in fours): partial 8-wide and row tiles, valid and explicit padding,
// a 5×5 filter, 128 input channels (one row a block), 96 output channels (a partial second block of 64).
const DIRECT: Case[] = [
  { x: [2, 7, 9, 4], f: [3, 3, 4, 8], s: 1, pad: "valid" },
  { x: [3, 13, 10, 8], f: [5, 5, 8, 12], s: 1, pad: "same" },
  { x: [2, 6, 11, 12], f: [3, 3, 12, 16], s: 1, pad: 1 },
  { x: [2, 8, 8, 128], f: [3, 3, 128, 4], s: 1, pad: "same" },
  { x: [2, 5, 5, 4], f: [3, 3, 4, 96], s: 1, pad: "same" },
  { x: [4, 28, 28, 1], f: [3, 3, 1, 16], s: 1, pad: "same" }, // the cnn's first layer: 1 channel padded to 4
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

Deno.test("convDirectTile: rows of 8 pixels whose source patch fits 16 KiB, ≤ 256 threads; stride 1 only", () => {
  const info = (x: number[], f: number[], s = 1) => nhwcConvInfo(x, f, { strides: [s, s], pad: "same" });
  const tile = (x: number[], f: number[]) => {
    const t = convDirectTile("forward", info(x, f))!;
    return [t.tileH, t.tileW, t.tileN, t.threads];
  };
  assertEqualJson(
    [
      tile([1, 32, 32, 16], [3, 3, 16, 16]),
      tile([1, 16, 16, 32], [3, 3, 32, 32]),
      tile([1, 8, 8, 64], [3, 3, 64, 64]),
    ],
    [[8, 8, 16, 64], [8, 8, 32, 128], [4, 8, 64, 128]],
    "ResNet20's three stages",
  );
  assertEqualJson(tile([1, 8, 8, 128], [3, 3, 128, 4]), [1, 8, 4, 2], "128 channels: one row");
  // The input gradient's source is dy: 64 channels to load, 32 to write.
  const dx = convDirectTile("inputGrad", info([1, 16, 16, 32], [3, 3, 32, 64]))!;
  assertEqualJson([dx.tileH, dx.tileW, dx.tileN, dx.threads], [4, 8, 32, 64], "dx of 32 → 64 channels");
  assert(convDirectTile("forward", info([1, 8, 8, 256], [3, 3, 256, 4])) === null, "256 channels do not fit");
  assert(!convDirectFits("forward", info([1, 8, 8, 16], [3, 3, 16, 16], 2)), "stride 2 is not direct");
  assert(!convDirectFits("forward", info([1, 8, 8, 3], [3, 3, 3, 16])), "3 input channels are not direct");
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
    "webgpu implicit-GEMM and direct Conv2D, FusedConv2D and dx (filter as is or transposed) equal tfjs's webgpu kernels bit for bit",
  ignore: noAdapter,
  fn: async () => {
    const ops = [conv, fused, inputGrad];
    const ALL = [...CASES, ...LARGE, ...DIRECT];
    type Mode = "gemm" | "direct" | "direct-transposed" | "stock";
    const run = async (mode: Mode) => {
      registerTrainingKernels("webgpu", {
        conv: mode === "direct-transposed" ? "direct" : mode,
        inputGrad: mode,
      });
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
      const device = (tf.backend() as unknown as { device: GPUDevice }).device;
      for (const mode of ["gemm", "direct", "direct-transposed"] as const) {
        // A shader the device rejects dispatches nothing, and its output buffer, reused from the stock run, can
        // hold the stock results: so no validation error may occur.
        device.pushErrorScope("validation");
        const ours = await run(mode);
        const error = await device.popErrorScope();
        assert(error === null, `${mode}: the device rejected a command: ${error?.message}`);
        for (const [n, arrays] of stock.entries()) {
          const op = ops[Math.floor(n / ALL.length)].name, c = ALL[n % ALL.length];
          for (const [j, s] of arrays.entries()) {
            const differing = s.filter((v, k) => !Object.is(v, ours[n][j][k])).length;
            assertEqualJson(
              differing,
              0,
              `${mode} ${op}[${j}] x${c.x.join("x")} f${c.f.join("x")} s${c.s} ${c.pad}`,
            );
          }
        }
      }
      const pipelines = Object.keys((tf.backend() as unknown as { pipelineCache: object }).pipelineCache);
      const direct = pipelines.filter((k) => k.includes("ourConvDirect"));
      // Every stride-1 case with channels in fours, forward (plain, and with bias and ReLU) and dx.
      for (const mode of ["forward", "inputGrad"]) {
        const ran = direct.filter((k) => k.includes(`_${mode}_`)).length;
        assert(ran >= 8, `the direct ${mode} program ran (${ran} pipelines)`);
      }
      // The 3-channel first layers (CASES[0], LARGE[0]) on channels padded to 4.
      assert(
        direct.some((k) => k.includes("_forward_3x3_4to16")),
        `the padded first layer ran direct: ${direct}`,
      );
      const transposed = direct.filter((k) => k.includes("_inputGrad_") && k.includes("_hwoi")).length;
      assert(transposed >= 8, `the direct dx program read a transposed filter (${transposed} pipelines)`);
    } finally {
      registerTrainingKernels("webgpu");
    }
  },
});
