/**
 * The `vec4` elementwise programs on webgpu against what ran before them, bit for bit, on a real WebGPU device
 * (llvmpipe in CI, the GPU in bench/gpu/run.sh): `Relu` and `MaxPoolGrad` against tfjs's own kernels, and the
 * batch-norm apply and input-gradient programs and `OurReluGrad` against their scalar forms
 * (`OUR_WEBGPU_VEC4=false`). Values include NaN, ±0, ±∞, subnormals and ties.
 */
import * as tf from "@tensorflow/tfjs-core";
import { assert } from "../assert.ts";
import { seeded } from "../reference.ts";
import { bnPass } from "./batch_norm_cases.ts";
import {
  registerTrainingKernels,
  registerWebGpuKernels,
} from "../../../../lib/backends/kernels/register_kernels.ts";
import { initBackend } from "../../../../lib/backends/select.ts";
import { probeWebGpuAdapter } from "../../../../lib/backends/webgpu/adapter.ts";
import { VEC4_FLAG } from "../../../../lib/backends/webgpu/program.ts";

const noAdapter = (await probeWebGpuAdapter()) === null;
if (noAdapter) console.warn("webgpu elementwise tests skipped: no WebGPU adapter (mesa-vulkan-drivers)");

const sameBits = (a: Float32Array, b: Float32Array) =>
  a.length === b.length && a.every((v, i) => Object.is(v, b[i]) || (Number.isNaN(v) && Number.isNaN(b[i])));

const SPECIAL = [NaN, -0, 0, Infinity, -Infinity, 1e-45, -1e-45, 3, -3];

/** Seeded values with the specials at the front. */
const values = (n: number, seed: number) =>
  seeded(n, seed).map((v, i) => i < SPECIAL.length ? SPECIAL[i] : v);

/** The shader keys of the pipelines the active backend compiled so far. */
const pipelines = () => Object.keys((tf.backend() as unknown as { pipelineCache: object }).pipelineCache);

/** `f`'s outputs, read back, disposed; `after` runs in any case (it puts back what `f` was run under). */
async function readBack(f: () => tf.Tensor[], after: () => void): Promise<Float32Array[]> {
  try {
    const out = f();
    const data = await Promise.all(out.map((t) => t.data() as Promise<Float32Array>));
    tf.dispose(out);
    return data;
  } finally {
    after();
  }
}

/** `f`'s outputs with `choice` registered (the default kernels are put back afterwards). */
function withKernels(choice: Parameters<typeof registerTrainingKernels>[1], f: () => tf.Tensor[]) {
  registerTrainingKernels("webgpu", choice);
  return readBack(f, () => registerTrainingKernels("webgpu"));
}

/** `f`'s outputs with the `vec4` programs allowed or not. */
function withVec4(on: boolean, f: () => tf.Tensor[]) {
  tf.env().set(VEC4_FLAG, on);
  return readBack(f, () => tf.env().set(VEC4_FLAG, true));
}

Deno.test({
  name: "webgpu Relu over vec4s gives tfjs's bits (NaN, ±0, ±∞, subnormals), and odd sizes still run",
  ignore: noAdapter,
  fn: async () => {
    await initBackend("webgpu");
    for (const n of [8, 4096, 9]) {
      const x = tf.tensor(values(n, n));
      const [want] = await withKernels({ relu: "stock" }, () => [tf.relu(x)]);
      const [got] = await withKernels({ relu: "vec4" }, () => [tf.relu(x)]);
      assert(sameBits(got, want), `n ${n}: differs from tfjs's Relu`);
      x.dispose();
    }
    assert(pipelines().some((k) => k.startsWith("ourRelu_vec4")), `ours ran: ${pipelines()}`);
  },
});

interface PoolCase {
  shape: [number, number, number, number];
  size: number;
  stride: number;
  pad: "valid" | "same";
}

// Windows that tile the image (the cnn's 2×2 pools; sizes the window leaves over, valid and same padding), then
// overlapping 3×3 windows at stride 2 and 1 with padding.
const POOLS: PoolCase[] = [
  { shape: [2, 6, 6, 8], size: 2, stride: 2, pad: "valid" },
  { shape: [3, 5, 7, 12], size: 2, stride: 2, pad: "valid" },
  { shape: [2, 7, 5, 4], size: 2, stride: 2, pad: "same" },
  { shape: [2, 7, 7, 4], size: 3, stride: 2, pad: "same" },
  { shape: [1, 5, 6, 8], size: 3, stride: 1, pad: "same" },
];

Deno.test({
  name:
    "webgpu MaxPoolGrad in one vec4 pass (tiling windows, overlapping ones) gives tfjs's bits, ties and NaN/∞ included",
  ignore: noAdapter,
  fn: async () => {
    await initBackend("webgpu");
    for (const [i, c] of POOLS.entries()) {
      const n = tf.util.sizeFromShape(c.shape);
      // Rounded values make ties within windows; every 17th value is special.
      const xs = seeded(n, 40 + i).map((v, k) =>
        k % 17 === 5 ? SPECIAL[(k / 17) % SPECIAL.length | 0] : Math.round(v * 2)
      );
      const x = tf.tensor4d(xs, c.shape);
      const grad = () => {
        const y = tf.maxPool(x, c.size, c.stride, c.pad);
        const dy = tf.tensor(values(y.size, 50 + i), y.shape);
        const [dx] = tf.grads((v: tf.Tensor) =>
          tf.mul(tf.maxPool(v as tf.Tensor4D, c.size, c.stride, c.pad), dy)
        )([x]);
        tf.dispose([y, dy]);
        return [dx];
      };
      const [want] = await withKernels({ maxPoolGrad: "stock" }, grad);
      const [got] = await withKernels({ maxPoolGrad: "wgsl" }, grad);
      assert(sameBits(got, want), `case ${i} ${JSON.stringify(c)}: differs from tfjs's MaxPoolGrad`);
      x.dispose();
    }
    for (const key of ["ourMaxPoolGradWindows", "ourMaxPoolGrad_vec4"]) {
      assert(pipelines().some((k) => k.startsWith(key)), `${key} ran: ${pipelines()}`);
    }
  },
});

Deno.test({
  name:
    "webgpu batch-norm apply, its input gradient and OurReluGrad give the same bits over vec4s as scalars",
  ignore: noAdapter,
  fn: async () => {
    await initBackend("webgpu");
    registerWebGpuKernels();
    for (const shape of [[4, 5, 5, 8], [2, 3, 3, 32], [3, 50, 12]]) {
      const pass = () => {
        const [y, dx] = bnPass(true, shape, 7, 0.5);
        const x = tf.tensor(values(y.size, 8), y.shape);
        const g = tf.grad((v: tf.Tensor) => tf.mul(tf.relu(v), dx))(x);
        x.dispose();
        return [y, dx, g];
      };
      const scalar = await withVec4(false, pass);
      const vec4 = await withVec4(true, pass);
      ["y", "dx", "relu grad"].forEach((name, k) => {
        assert(sameBits(vec4[k], scalar[k]), `${name}, shape [${shape}]: vec4 differs from scalar`);
      });
    }
    for (const key of ["ourBatchNormApply_vec4", "ourBatchNormGradInput_vec4", "ourReluGrad_vec4"]) {
      assert(pipelines().some((k) => k.startsWith(key)), `${key} ran: ${pipelines()}`);
    }
  },
});
