import * as tf from "@tensorflow/tfjs-core";
import { assert, assertLess, assertRejects } from "../assert.ts";
import { REF, relErr, runOn, seeded } from "../reference.ts";
import { initBackend } from "../../../../lib/backends/select.ts";
import {
  filterGradSimd,
  inputGradSimd,
  maxPoolGradSimd,
  sliceSimd,
} from "../../../../lib/backends/kernels/wasm_simd.ts";
import { maxPoolGradInto, poolInfo } from "../../../../lib/backends/kernels/max_pool_grad.ts";
import { nhwcConvInfo } from "../../../../lib/backends/kernels/conv_info.ts";
import type { KernelFn } from "../../../../lib/backends/kernels/kernel_registry.ts";
import { SimdPool } from "../../../../lib/backends/wasm/simd_pool.ts";
import { meanWasm, meanWasmSimd } from "../../../../lib/backends/kernels/reductions.ts";

type Pad = "same" | "valid" | number;
interface ConvCase {
  x: [number, number, number, number];
  f: [number, number, number, number];
  s: [number, number];
  pad: Pad;
}

/**
 * Output channels 4, 8, 12 and 16 (the 8-wide tiles and a 4-wide remainder); input channels 1–5 and 16 (every
 * partial group of 4); strides 1–3; same, valid and explicit padding; 1×1, 1×3, 3×3 and 5×5 filters.
 */
const CONV_CASES: ConvCase[] = [
  { x: [2, 7, 7, 1], f: [3, 3, 1, 16], s: [1, 1], pad: "same" },
  { x: [2, 7, 7, 3], f: [3, 3, 3, 4], s: [2, 2], pad: "same" },
  { x: [2, 8, 8, 2], f: [3, 3, 2, 12], s: [2, 2], pad: "valid" },
  { x: [3, 9, 9, 5], f: [3, 3, 5, 8], s: [1, 1], pad: "valid" },
  { x: [2, 8, 8, 4], f: [1, 1, 4, 12], s: [2, 2], pad: "same" },
  { x: [2, 9, 6, 2], f: [5, 5, 2, 4], s: [1, 1], pad: "same" },
  { x: [2, 9, 6, 3], f: [1, 3, 3, 8], s: [2, 1], pad: "same" },
  { x: [3, 10, 10, 2], f: [3, 3, 2, 4], s: [3, 3], pad: 1 },
  { x: [2, 16, 16, 16], f: [3, 3, 16, 16], s: [2, 2], pad: "same" },
];
const label = (c: ConvCase) => `x${c.x.join("x")} f${c.f.join("x")} s${c.s} ${c.pad}`;

/** A kernel that must not run: the SIMD kernel covers every case here. */
const noFallback: KernelFn = () => {
  throw new Error("fell back");
};

/** Seeded x and dy (of the convolution output's shape) for a case, on the current backend. */
function convInputs(c: ConvCase, seed: number): { x: tf.Tensor4D; dy: tf.Tensor4D } {
  const o = nhwcConvInfo(c.x, c.f, { strides: c.s, pad: c.pad });
  const yShape: [number, number, number, number] = [c.x[0], o.outHeight, o.outWidth, c.f[3]];
  return {
    x: tf.tensor4d(seeded(tf.util.sizeFromShape(c.x), seed), c.x),
    dy: tf.tensor4d(seeded(tf.util.sizeFromShape(yShape), seed + 1), yShape),
  };
}

/** A seeded filter for a case (the input gradient's second input). */
const convFilter = (c: ConvCase, seed: number) =>
  tf.tensor4d(seeded(tf.util.sizeFromShape(c.f), seed + 2), c.f);

/** dW (`pass` "dW": from x and dy) or dx ("dx": from dy and the filter) through `kernel` on wasm. */
function gradWith(kernel: KernelFn, pass: "dW" | "dx", c: ConvCase, seed: number): Float32Array {
  const { x, dy } = convInputs(c, seed);
  const filter = convFilter(c, seed);
  const backend = tf.backend();
  const out = kernel({
    inputs: pass === "dW" ? { x, dy } : { dy, filter },
    attrs: {
      strides: c.s,
      pad: c.pad,
      dataFormat: "NHWC",
      dilations: [1, 1],
      filterShape: c.f,
      inputShape: c.x,
    },
    backend,
  });
  const values = Float32Array.from(backend.readSync(out.dataId) as Float32Array);
  backend.disposeData(out.dataId);
  tf.dispose([x, dy, filter]);
  return values;
}

/** The stock cpu backend's dW for the same x and dy. */
function referenceFilterGrad(c: ConvCase, seed: number): tf.Tensor[] {
  const { x, dy } = convInputs(c, seed);
  return [
    tf.grad((w: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, w as tf.Tensor4D, c.s, c.pad), dy)))(tf.zeros(c.f)),
  ];
}

/**
 * Input channels 4–20 (the kernel's 8-wide blocks and a 4-wide remainder); strides 1–3 (one of them above 1);
 * same, valid and explicit (asymmetric) padding; 1×1, 1×3, 3×3 and 5×5 filters; widths that leave partial
 * groups of 4 pixels.
 */
const DX_CASES: ConvCase[] = [
  { x: [2, 16, 16, 16], f: [3, 3, 16, 32], s: [2, 2], pad: "same" },
  { x: [2, 9, 11, 8], f: [3, 3, 8, 12], s: [2, 2], pad: "same" },
  { x: [2, 9, 11, 12], f: [3, 3, 12, 4], s: [1, 2], pad: "same" },
  { x: [3, 10, 13, 4], f: [5, 5, 4, 8], s: [3, 2], pad: "valid" },
  { x: [2, 8, 8, 20], f: [1, 1, 20, 8], s: [2, 2], pad: "same" },
  { x: [2, 9, 14, 8], f: [1, 3, 8, 6], s: [2, 1], pad: "same" },
  { x: [2, 10, 10, 4], f: [3, 3, 4, 5], s: [3, 3], pad: 1 },
];

/** The stock cpu backend's dx for the case's filter and dy. */
function referenceInputGrad(c: ConvCase, seed: number): tf.Tensor[] {
  const { x, dy } = convInputs(c, seed);
  const f = convFilter(c, seed);
  return [tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(v as tf.Tensor4D, f, c.s, c.pad), dy)))(x)];
}

const reference: Float32Array[] = [];
for (const [i, c] of CONV_CASES.entries()) {
  reference.push((await runOn(REF, () => referenceFilterGrad(c, 10 * i)))[0]);
}
const dxReference: Float32Array[] = [];
for (const [i, c] of DX_CASES.entries()) {
  dxReference.push((await runOn(REF, () => referenceInputGrad(c, 10 * i)))[0]);
}
await initBackend("wasm", { threads: 2 });
const pools = [1, 2, 3].map((threads) => SimdPool.create(tf.backend(), threads));

/** Each case's gradient through `kernelOn(pool)` against the cpu reference, with the same bits on every pool. */
function checkGrad(
  pass: "dW" | "dx",
  cases: ConvCase[],
  want: Float32Array[],
  kernelOn: (p: SimdPool) => KernelFn,
) {
  for (const [i, c] of cases.entries()) {
    const [one, ...more] = pools.map((pool) => gradWith(kernelOn(pool), pass, c, 10 * i));
    assertLess(relErr(want[i], one), 1e-5, `${pass} ${label(c)}`);
    for (const [k, got] of more.entries()) {
      assert(
        got.every((v, j) => Object.is(v, one[j])),
        `${pass} ${label(c)} on ${pools[k + 1].threads} threads`,
      );
    }
  }
}

Deno.test("SIMD dW matches the stock cpu backend, with the same bits on 1, 2 and 3 threads", async () => {
  await tf.setBackend("wasm");
  checkGrad("dW", CONV_CASES, reference, (pool) => filterGradSimd(noFallback, () => pool));
});

Deno.test("SIMD dx matches the stock cpu backend, with the same bits on 1, 2 and 3 threads", async () => {
  await tf.setBackend("wasm");
  checkGrad("dx", DX_CASES, dxReference, (pool) => inputGradSimd(noFallback, () => pool));
});

Deno.test("SIMD dx hands layouts and channel counts it does not cover to its fallback", async () => {
  await tf.setBackend("wasm");
  const fellBack: string[] = [];
  const counting: KernelFn = (args) => {
    fellBack.push(String(args.attrs?.dataFormat));
    return args.inputs.dy as tf.TensorInfo;
  };
  const dy = tf.zeros([1, 4, 4, 4]);
  const attrs = {
    strides: [1, 2],
    pad: "same",
    dilations: [1, 1],
    dataFormat: "NHWC",
    inputShape: [1, 4, 8, 6],
  };
  const kernel = inputGradSimd(counting);
  kernel({ inputs: { dy, filter: tf.zeros([3, 3, 6, 4]) }, attrs, backend: tf.backend() });
  assert(fellBack.length === 1, "6 input channels (not a multiple of 4) fall back");
  const nchw = { ...attrs, dataFormat: "NCHW", inputShape: [1, 4, 4, 4] };
  kernel({ inputs: { dy, filter: tf.zeros([3, 3, 4, 4]) }, attrs: nchw, backend: tf.backend() });
  assert(fellBack.join() === "NHWC,NCHW", `NCHW falls back: ${fellBack}`);
  const stride1 = { ...attrs, strides: [1, 1], inputShape: [1, 4, 4, 4] };
  kernel({ inputs: { dy, filter: tf.zeros([3, 3, 4, 4]) }, attrs: stride1, backend: tf.backend() });
  assert(fellBack.join() === "NHWC,NCHW,NHWC", `stride 1 (nothing dilated) falls back: ${fellBack}`);
  dy.dispose();
});

Deno.test("SIMD dW hands layouts and channel counts it does not cover to its fallback", async () => {
  await tf.setBackend("wasm");
  const fellBack: string[] = [];
  const counting: KernelFn = (args) => {
    fellBack.push(String(args.attrs?.dataFormat));
    return args.inputs.x as tf.TensorInfo;
  };
  const kernel = filterGradSimd(counting);
  const x = tf.zeros([1, 4, 4, 2]), dy = tf.zeros([1, 4, 4, 6]);
  const attrs = { strides: [1, 1], pad: "same", dilations: [1, 1], filterShape: [3, 3, 2, 6] };
  kernel({ inputs: { x, dy }, attrs: { ...attrs, dataFormat: "NHWC" }, backend: tf.backend() });
  assert(fellBack.length === 1, "6 output channels (not a multiple of 4) fall back");
  kernel({ inputs: { x, dy }, attrs: { ...attrs, dataFormat: "NCHW" }, backend: tf.backend() });
  assert(fellBack.join() === "NHWC,NCHW", `NCHW falls back: ${fellBack}`);
  tf.dispose([x, dy]);
});

Deno.test("SIMD MaxPoolGrad gives max_pool_grad.ts's bits (ties, negatives, 1–6 channels) on 1, 2, 3 threads", async () => {
  await tf.setBackend("wasm");
  const cases: { x: [number, number, number, number]; k: number; s: number; pad: "same" | "valid" }[] = [
    { x: [2, 8, 8, 3], k: 2, s: 2, pad: "valid" },
    { x: [2, 7, 7, 4], k: 3, s: 2, pad: "same" },
    { x: [2, 7, 7, 6], k: 2, s: 1, pad: "same" },
    { x: [3, 9, 9, 5], k: 3, s: 3, pad: "valid" },
    { x: [1, 7, 5, 1], k: 3, s: 2, pad: "same" },
  ];
  for (const [i, c] of cases.entries()) {
    for (const values of ["ties", "negative"] as const) {
      const raw = seeded(tf.util.sizeFromShape(c.x), 50 + i);
      const v = values === "ties" ? raw.map((a) => Math.max(0, Math.round(a * 2))) : raw.map((a) => -1.5 - a);
      const x = tf.tensor4d(v, c.x);
      const y = tf.maxPool(x, c.k, c.s, c.pad);
      const dy = tf.tensor(seeded(y.size, 60 + i), y.shape);
      const attrs = { filterSize: [c.k, c.k], strides: [c.s, c.s], pad: c.pad };
      const expected = new Float32Array(x.size);
      maxPoolGradInto(
        poolInfo(x, attrs),
        x.dataSync() as Float32Array,
        dy.dataSync() as Float32Array,
        expected,
      );
      for (const pool of pools) {
        const backend = tf.backend();
        const out = maxPoolGradSimd(() => pool)({ inputs: { dy, input: x }, attrs, backend });
        const got = backend.readSync(out.dataId) as Float32Array;
        const same = got.every((g, j) => Object.is(g, expected[j]));
        backend.disposeData(out.dataId);
        assert(same, `x${c.x.join("x")} k${c.k} s${c.s} ${c.pad} ${values} on ${pool.threads} threads`);
      }
      tf.dispose([x, y, dy]);
    }
  }
});

Deno.test("SIMD Slice gives the stock kernel's bits (ranks 1–4, float32 and int32) on 1, 2 and 3 threads", async () => {
  await tf.setBackend("wasm");
  const stock = tf.getKernel("Slice", "wasm")!.kernelFunc as unknown as KernelFn;
  const cases: { shape: number[]; begin: number[]; size: number[] }[] = [
    { shape: [2048, 2, 16, 32], begin: [0, 0, 0, 0], size: [2048, 1, 16, 32] },
    { shape: [4, 7, 5, 9], begin: [1, 2, 0, 3], size: [2, -1, 5, 5] },
    { shape: [3, 6, 10], begin: [0, 1, 2], size: [3, 4, 7] },
    { shape: [5, 11], begin: [2, 1], size: [3, 9] },
    { shape: [17], begin: [3], size: [13] },
    { shape: [2, 3, 4, 5], begin: [1, 0, 0, 0], size: [1, 3, 4, 5] },
    { shape: [2, 3, 4, 5], begin: [0, 1, 1, 1], size: [2, 0, 3, 4] },
  ];
  const backend = tf.backend();
  for (const [i, c] of cases.entries()) {
    for (const dtype of ["float32", "int32"] as const) {
      const values = seeded(tf.util.sizeFromShape(c.shape), 70 + i).map((v) =>
        dtype === "int32" ? v * 1e6 : v
      );
      const x = tf.tensor(values, c.shape, dtype);
      const attrs = { begin: c.begin, size: c.size };
      const read = (kernel: KernelFn) => {
        const out = kernel({ inputs: { x }, attrs, backend });
        const got = { shape: out.shape, values: Array.from(backend.readSync(out.dataId) as Float32Array) };
        backend.disposeData(out.dataId);
        return got;
      };
      const want = read(stock);
      for (const pool of pools) {
        const got = read(sliceSimd(noFallback, () => pool));
        const label = `slice ${c.shape} from ${c.begin} size ${c.size} ${dtype} on ${pool.threads} threads`;
        assert(got.shape.join() === want.shape.join(), `${label}: shape ${got.shape}`);
        assert(got.values.every((v, j) => Object.is(v, want.values[j])), label);
      }
      x.dispose();
    }
  }
});

Deno.test("SIMD Slice hands rank 5 and 1-byte types to its fallback", async () => {
  await tf.setBackend("wasm");
  const fellBack: string[] = [];
  const kernel = sliceSimd((args) => {
    const x = args.inputs.x as tf.TensorInfo;
    fellBack.push(`${x.shape.length}:${x.dtype}`);
    return x;
  });
  const [five, bool] = [tf.zeros([1, 2, 1, 2, 2]), tf.zeros([2, 2], "bool")];
  kernel({
    inputs: { x: five },
    attrs: { begin: [0, 0, 0, 0, 0], size: [1, 1, 1, 1, 1] },
    backend: tf.backend(),
  });
  kernel({ inputs: { x: bool }, attrs: { begin: [0, 0], size: [1, 1] }, backend: tf.backend() });
  assert(fellBack.join() === "5:float32,2:bool", `fell back: ${fellBack}`);
  tf.dispose([five, bool]);
});

Deno.test("SIMD Mean over a middle axis gives the JS loop's bits on 1, 2 and 3 threads", async () => {
  await tf.setBackend("wasm");
  const x = tf.tensor(seeded(5 * 61 * 70, 9), [5, 61, 70]);
  const backend = tf.backend();
  const read = (kernel: KernelFn) => {
    const out = kernel({ inputs: { x }, attrs: { axis: 1, keepDims: false }, backend });
    const values = Float32Array.from(backend.readSync(out.dataId) as Float32Array);
    backend.disposeData(out.dataId);
    return values;
  };
  const expected = read(meanWasm);
  for (const pool of pools) {
    const got = read(meanWasmSimd(() => pool));
    assert(got.every((g, j) => Object.is(g, expected[j])), `mean on ${pool.threads} threads`);
  }
  x.dispose();
});

Deno.test("a job fails with a clear error, instead of waiting forever, when a helper thread never starts", async () => {
  await tf.setBackend("wasm");
  const pool = SimdPool.create(tf.backend(), 2, {
    workerScript: new URL("../wasm/silent_worker_fixture.ts", import.meta.url),
    startTimeoutMs: 1500,
  });
  const x = tf.zeros([2, 3, 16]);
  const backend = tf.backend();
  await assertRejects(
    () =>
      Promise.resolve().then(() => meanWasmSimd(() => pool)({ inputs: { x }, attrs: { axis: 1 }, backend })),
    /only 0 of 1 helper thread\(s\) started within 1.5 s/,
    "silent helper",
  );
  x.dispose();
});
