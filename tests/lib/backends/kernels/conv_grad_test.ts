import * as tf from "@tensorflow/tfjs-core";
import { assert, assertLess } from "../assert.ts";
import { REF, relErr, runOn, seeded } from "../reference.ts";
import { initBackend } from "../../../../lib/backends/select.ts";
import { registerTrainingKernels } from "../../../../lib/backends/kernels/register_kernels.ts";

type Pad = "same" | "valid" | number;
interface ConvCase {
  x: [number, number, number, number];
  f: [number, number, number, number];
  s: number | [number, number];
  pad: Pad;
}

/** Strides 1/2/3 and [2,1]; same, valid and explicit padding; 1×1, 1×3, 3×3, 5×5 filters; odd and even sizes. */
const CASES: ConvCase[] = [
  { x: [2, 7, 7, 3], f: [3, 3, 3, 4], s: 1, pad: "same" },
  { x: [2, 7, 7, 3], f: [3, 3, 3, 4], s: 2, pad: "same" },
  { x: [2, 8, 8, 3], f: [3, 3, 3, 4], s: 2, pad: "same" },
  { x: [2, 8, 8, 3], f: [3, 3, 3, 4], s: 1, pad: "valid" },
  { x: [2, 9, 9, 3], f: [3, 3, 3, 4], s: 2, pad: "valid" },
  { x: [2, 8, 8, 3], f: [3, 3, 3, 4], s: 2, pad: "valid" },
  { x: [2, 8, 8, 4], f: [1, 1, 4, 6], s: 2, pad: "same" },
  { x: [2, 5, 5, 4], f: [1, 1, 4, 6], s: 1, pad: "valid" },
  { x: [2, 9, 6, 2], f: [5, 5, 2, 3], s: 1, pad: "same" },
  { x: [2, 9, 6, 2], f: [1, 3, 2, 3], s: [2, 1], pad: "same" },
  { x: [3, 10, 10, 2], f: [3, 3, 2, 5], s: 3, pad: 1 },
  { x: [2, 16, 16, 8], f: [3, 3, 8, 16], s: 2, pad: "same" },
];
const label = (c: ConvCase) => `x${c.x.join("x")} f${c.f.join("x")} s${c.s} ${c.pad}`;

/** [y, dx, dW] of L = Σ conv2d(x, w) · r on the current backend. */
function convGrads(c: ConvCase, seed: number): tf.Tensor[] {
  const x = tf.tensor4d(seeded(tf.util.sizeFromShape(c.x), seed), c.x);
  const w = tf.tensor4d(seeded(tf.util.sizeFromShape(c.f), seed + 1), c.f);
  const y = tf.conv2d(x, w, c.s, c.pad);
  const r = tf.tensor(seeded(y.size, seed + 2), y.shape);
  const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad), r))
  )([x, w]);
  tf.dispose([x, w, r]);
  return [y, dx, dw];
}

const reference: Float32Array[][] = [];
for (const [i, c] of CASES.entries()) reference.push(await runOn(REF, () => convGrads(c, 100 + 3 * i)));

async function checkAll(backend: string, what: string) {
  for (const [i, c] of CASES.entries()) {
    const [y, dx, dw] = await runOn(backend, () => convGrads(c, 100 + 3 * i));
    const [yRef, dxRef, dwRef] = reference[i];
    assertLess(relErr(yRef, y), 1e-5, `${what} forward ${label(c)}`);
    assertLess(relErr(dxRef, dx), 1e-5, `${what} dx ${label(c)}`);
    assertLess(relErr(dwRef, dw), 1e-5, `${what} dW ${label(c)}`);
  }
}

await initBackend("wasm", { threads: 2 });

Deno.test("wasm default dW (SIMD, tconv where it falls back) and xconv dx match the stock cpu backend", async () => {
  registerTrainingKernels("wasm");
  await checkAll("wasm", "wasm simd/xconv");
});

Deno.test("wasm tconv dW and xconv dx match the stock cpu backend", async () => {
  registerTrainingKernels("wasm", { filterGrad: "tconv" });
  try {
    await checkAll("wasm", "wasm tconv/xconv");
  } finally {
    registerTrainingKernels("wasm");
  }
});

Deno.test("wasm im2col dW and stock dx match the stock cpu backend", async () => {
  registerTrainingKernels("wasm", { filterGrad: "im2col", inputGrad: "stock" });
  try {
    await checkAll("wasm", "wasm im2col/stock");
  } finally {
    registerTrainingKernels("wasm");
  }
});

Deno.test("cpu composed conv gradients match the stock cpu backend", async () => {
  registerTrainingKernels("cpu");
  await checkAll("cpu", "cpu tconv/xconv");
  registerTrainingKernels("cpu", { filterGrad: "im2col" });
  await checkAll("cpu", "cpu im2col/xconv");
});

Deno.test("wasm composed conv gradients agree with float32 finite differences", async () => {
  registerTrainingKernels("wasm");
  await tf.setBackend("wasm");
  // L = Σ conv2d(x, w)·r is linear in x and in w, so a central difference with a large step is exact up to
  // float32 rounding of L: an independent check of both gradients.
  const c: ConvCase = { x: [2, 9, 9, 3], f: [3, 3, 3, 4], s: 2, pad: "same" };
  const xv = seeded(tf.util.sizeFromShape(c.x), 7), wv = seeded(tf.util.sizeFromShape(c.f), 8);
  const r = tf.tensor(seeded(2 * 5 * 5 * 4, 9), [2, 5, 5, 4]);
  const loss = async (xa: Float32Array, wa: Float32Array) => {
    const l = tf.tidy(() =>
      tf.sum(tf.mul(tf.conv2d(tf.tensor4d(xa, c.x), tf.tensor4d(wa, c.f), c.s, c.pad), r))
    );
    const v = (await l.data())[0];
    l.dispose();
    return v;
  };
  const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad), r))
  )([tf.tensor4d(xv, c.x), tf.tensor4d(wv, c.f)]);
  const dxv = await dx.data(), dwv = await dw.data();
  const h = 0.5;
  const central = async (which: "x" | "w", idx: number) => {
    const plus = (which === "x" ? xv : wv).slice(), minus = plus.slice();
    plus[idx] += h;
    minus[idx] -= h;
    const [lp, lm] = which === "x"
      ? [await loss(plus, wv), await loss(minus, wv)]
      : [await loss(xv, plus), await loss(xv, minus)];
    return (lp - lm) / (2 * h);
  };
  let checked = 0;
  for (const idx of [0, 13, 40, 77, 101, 107]) {
    const fd = await central("w", idx);
    assert(Math.abs(fd - dwv[idx]) < 1e-3 * Math.max(1, Math.abs(fd)), `dW[${idx}] fd ${fd} vs ${dwv[idx]}`);
    checked++;
  }
  for (const idx of [0, 1, 26, 100, 242, 485]) {
    const fd = await central("x", idx);
    assert(Math.abs(fd - dxv[idx]) < 1e-3 * Math.max(1, Math.abs(fd)), `dx[${idx}] fd ${fd} vs ${dxv[idx]}`);
    checked++;
  }
  assert(checked === 12);
  tf.dispose([r, dx, dw]);
});
