import * as tf from "@tensorflow/tfjs-core";
import { assert, assertLess } from "../assert.ts";
import { REF, relErr, runOn, seeded } from "../reference.ts";
import { initBackend } from "../../../../lib/backends/select.ts";
import {
  conv2dWinograd,
  filterGradChunk,
  filterGradWinograd,
  inputGradWinograd,
} from "../../../../lib/backends/kernels/wasm_winograd.ts";
import type { KernelFn } from "../../../../lib/backends/kernels/kernel_registry.ts";
import { SimdPool } from "../../../../lib/backends/wasm/simd_pool.ts";

type Shape4 = [number, number, number, number];
type Pad = "same" | "valid" | [[number, number], [number, number], [number, number], [number, number]];
interface WinogradCase {
  x: Shape4;
  f: Shape4;
  pad: Pad;
}

/**
 * Input channels 4–20 and output channels 4–16 (the 8-wide blocks and a 4-wide remainder); output sizes of every
 * remainder mod 4 (partial 4×4 tiles); tile counts below, at and past the 16-tile block and not multiples of the
 * 4-tile product; more tiles than one chunk of the filter gradient's sums; same, valid and explicit padding
 * (asymmetric, and 2 on one side, the most the input gradient takes).
 */
const CASES: WinogradCase[] = [
  { x: [2, 7, 7, 4], f: [3, 3, 4, 8], pad: "same" },
  { x: [1, 8, 8, 8], f: [3, 3, 8, 4], pad: "same" },
  { x: [3, 9, 6, 16], f: [3, 3, 16, 12], pad: "valid" },
  { x: [2, 5, 11, 12], f: [3, 3, 12, 16], pad: "same" },
  { x: [2, 6, 7, 20], f: [3, 3, 20, 8], pad: [[0, 0], [2, 0], [0, 1], [0, 0]] },
  { x: [5, 14, 14, 8], f: [3, 3, 8, 16], pad: "same" },
  { x: [3, 13, 10, 8], f: [3, 3, 8, 12], pad: "same" },
  { x: [4, 40, 37, 4], f: [3, 3, 4, 8], pad: "same" },
];
const label = (c: WinogradCase) => `x${c.x.join("x")} f${c.f.join("x")} ${JSON.stringify(c.pad)}`;

const noFallback: KernelFn = () => {
  throw new Error("fell back");
};

function inputs(c: WinogradCase, seed: number) {
  const x = tf.tensor4d(seeded(tf.util.sizeFromShape(c.x), seed), c.x);
  const f = tf.tensor4d(seeded(tf.util.sizeFromShape(c.f), seed + 1), c.f);
  const y = tf.conv2d(x, f, 1, c.pad);
  const dy = tf.tensor4d(seeded(y.size, seed + 2), y.shape);
  y.dispose();
  return { x, f, dy };
}

const attrsOf = (c: WinogradCase) => ({
  strides: [1, 1],
  pad: c.pad,
  dataFormat: "NHWC",
  dilations: [1, 1],
});

/** y, dx and dW on the untouched cpu backend: the direct convolution and its gradients, as tfjs computes them. */
function reference(c: WinogradCase, seed: number): tf.Tensor[] {
  const { x, f, dy } = inputs(c, seed);
  const y = tf.conv2d(x, f, 1, c.pad);
  const [dx, dw] = tf.grads((a: tf.Tensor, w: tf.Tensor) =>
    tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, 1, c.pad), dy))
  )([x, f]);
  return [y, dx, dw];
}

/** y, dx and dW through the Winograd kernels on `pool`. */
function winograd(c: WinogradCase, seed: number, pool: SimdPool): Float32Array[] {
  const { x, f, dy } = inputs(c, seed);
  const backend = tf.backend();
  const attrs = attrsOf(c);
  const outs = [
    conv2dWinograd(noFallback, () => pool)({ inputs: { x, filter: f }, attrs, backend }),
    inputGradWinograd(noFallback, () => pool)({
      inputs: { dy, filter: f },
      attrs: { ...attrs, inputShape: c.x },
      backend,
    }),
    filterGradWinograd(noFallback, () => pool)({
      inputs: { x, dy },
      attrs: { ...attrs, filterShape: c.f },
      backend,
    }),
  ];
  const values = outs.map((o) => Float32Array.from(backend.readSync(o.dataId) as Float32Array));
  for (const o of outs) backend.disposeData(o.dataId);
  tf.dispose([x, f, dy]);
  return values;
}

const expected: Float32Array[][] = [];
for (const [i, c] of CASES.entries()) expected.push(await runOn(REF, () => reference(c, 10 * i)));
await initBackend("wasm", { threads: 2 });
const pools = [1, 2, 3].map((threads) => SimdPool.create(tf.backend(), threads));

Deno.test("Winograd Conv2D, dx and dW match the cpu backend, with the same bits on 1–3 threads", async () => {
  await tf.setBackend("wasm");
  for (const [i, c] of CASES.entries()) {
    const [one, ...more] = pools.map((pool) => winograd(c, 10 * i, pool));
    for (const [j, what] of ["y", "dx", "dW"].entries()) {
      assertLess(relErr(expected[i][j], one[j]), 1e-5, `${what} ${label(c)}`);
      for (const [k, got] of more.entries()) {
        assert(
          got[j].every((v, n) => Object.is(v, one[j][n])),
          `${what} ${label(c)} on ${pools[k + 1].threads} threads differs from 1 thread`,
        );
      }
    }
  }
});

Deno.test("Winograd kernels hand what they do not cover to their fallback", async () => {
  await tf.setBackend("wasm");
  const c: WinogradCase = { x: [1, 6, 6, 4], f: [3, 3, 4, 4], pad: "same" };
  const { x, f, dy } = inputs(c, 1);
  const uncovered: [string, Record<string, unknown>, tf.TensorInfo, tf.TensorInfo][] = [
    ["stride 2", { strides: [2, 2] }, x, f],
    ["dilation 2", { dilations: [2, 2] }, x, f],
    ["NCHW", { dataFormat: "NCHW" }, x, f],
    ["3 input channels", {}, tf.zeros([1, 6, 6, 3]), tf.zeros([3, 3, 3, 4])],
    ["6 output channels", {}, x, tf.zeros([3, 3, 4, 6])],
    ["a 5×5 filter", {}, x, tf.zeros([5, 5, 4, 4])],
    ["int32 input", {}, tf.zeros([1, 6, 6, 4], "int32"), f],
  ];
  for (const [why, change, xi, fi] of uncovered) {
    for (const kernel of [conv2dWinograd, inputGradWinograd, filterGradWinograd]) {
      let fellBack = false;
      const marker = (): tf.TensorInfo => {
        fellBack = true;
        return xi;
      };
      const attrs = { ...attrsOf(c), inputShape: xi.shape, filterShape: fi.shape, ...change };
      kernel(marker)({ inputs: { x: xi, dy: xi, filter: fi }, attrs, backend: tf.backend() });
      assert(fellBack, `${kernel.name}: ${why} falls back`);
    }
  }
  tf.dispose([x, f, dy]);
});

Deno.test("the filter gradient's chunks follow the shapes, are whole blocks, and keep their sums within 32 MiB", () => {
  const chunks = (tiles: number, ci: number, co: number) => Math.ceil(tiles / filterGradChunk(tiles, ci, co));
  assert(chunks(400, 4, 8) === 2, "the 4×40×37 case above sums two chunks");
  for (const [tiles, ci, co] of [[400, 4, 8], [8192, 16, 16], [512, 64, 64], [100_000, 512, 512]]) {
    const chunk = filterGradChunk(tiles, ci, co);
    assert(chunk % 16 === 0 && chunk >= 256, `chunk ${chunk} for ${tiles} tiles`);
    assert(
      chunks(tiles, ci, co) * 36 * ci * co * 4 <= 32 * 2 ** 20 + 4 * 36 * ci * co * 16,
      `${ci}×${co} sums`,
    );
  }
});
