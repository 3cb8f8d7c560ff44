import * as tf from "@tensorflow/tfjs-core";
import { assert, assertEqualJson, assertLess } from "../assert.ts";
import { runOn, seeded } from "../reference.ts";
import { initBackend } from "../../../../lib/backends/select.ts";
import { registerTrainingKernels } from "../../../../lib/backends/kernels/register_kernels.ts";
import {
  meanWasm,
  splitReduction,
  sumMiddleInto,
  sumWasm,
} from "../../../../lib/backends/kernels/reductions.ts";

interface ReduceCase {
  shape: number[];
  axis: number | number[];
  keepDims: boolean;
}
/** Batch-norm statistics, the selectivity index's spatial mean, and the cases the stock kernel keeps. */
const CASES: ReduceCase[] = [
  { shape: [16, 9, 9, 8], axis: [0, 1, 2], keepDims: false },
  { shape: [16, 9, 9, 8], axis: [0, 1, 2], keepDims: true },
  { shape: [6, 49, 5], axis: 1, keepDims: false },
  { shape: [3, 50, 40], axis: 1, keepDims: false }, // SIMD: two blocks of 16 columns and 8 left over
  { shape: [32, 7, 7, 32], axis: [0, 1, 2], keepDims: false }, // SIMD: one outer index, two blocks
  { shape: [6, 49, 5], axis: -2, keepDims: true },
  { shape: [7, 3], axis: 0, keepDims: false },
  { shape: [4, 5, 6], axis: [1, 0], keepDims: false }, // descending: stock (it adds in the listed order)
  { shape: [4, 5, 6], axis: [0, 2], keepDims: false }, // not contiguous: stock
  { shape: [4, 5, 6], axis: -1, keepDims: false }, // the last axis: stock
  { shape: [4, 5, 6], axis: [0, 1, 2], keepDims: false }, // everything: stock
];
const label = (c: ReduceCase) =>
  `[${c.shape}] over ${JSON.stringify(c.axis)}${c.keepDims ? " keepDims" : ""}`;

/** Values with a large spread, so that a different order of additions would round differently. */
const valuesOf = (c: ReduceCase, seed: number) =>
  seeded(tf.util.sizeFromShape(c.shape), seed).map((v, i) => v * (i % 7 === 0 ? 1e4 : 1) + 0.1);

function reduce(c: ReduceCase, seed: number, kind: "sum" | "mean"): tf.Tensor[] {
  const x = tf.tensor(valuesOf(c, seed), c.shape);
  const y = kind === "sum" ? tf.sum(x, c.axis, c.keepDims) : tf.mean(x, c.axis, c.keepDims);
  x.dispose();
  return [y];
}

/** The float64 sum (or mean) per output, from first principles: an independent reference. */
function float64Reference(c: ReduceCase, seed: number, kind: "sum" | "mean"): number[] {
  const v = valuesOf(c, seed);
  const axes = tf.util.parseAxisParam(c.axis, c.shape);
  const kept = c.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const outSize = kept.reduce((a, i) => a * c.shape[i], 1);
  const sums = new Array<number>(outSize).fill(0);
  const strides = tf.util.computeStrides(c.shape);
  const r = axes.reduce((a, i) => a * c.shape[i], 1);
  for (let flat = 0; flat < v.length; flat++) {
    let out = 0;
    for (const i of kept) out = out * c.shape[i] + Math.floor(flat / (strides[i] ?? 1)) % c.shape[i];
    sums[out] += v[flat];
  }
  return kind === "sum" ? sums : sums.map((s) => s / r);
}

await initBackend("wasm", { threads: 1 });

Deno.test("JS and SIMD Sum and Mean on wasm are bit-identical to the stock wasm kernels, and near float64", async () => {
  for (const kind of ["sum", "mean"] as const) {
    registerTrainingKernels("wasm", { reductions: "stock" });
    const stock = [];
    for (const [i, c] of CASES.entries()) {
      stock.push((await runOn("wasm", () => reduce(c, 700 + i, kind)))[0]);
    }
    for (const variant of ["js", "simd"] as const) {
      registerTrainingKernels("wasm", { reductions: variant });
      for (const [i, c] of CASES.entries()) {
        const [ours] = await runOn("wasm", () => reduce(c, 700 + i, kind));
        assertEqualJson(Array.from(ours), Array.from(stock[i]), `${variant} ${kind} ${label(c)}`);
        const ref = float64Reference(c, 700 + i, kind);
        const scale = Math.max(...ref.map(Math.abs));
        for (const [k, want] of ref.entries()) {
          assertLess(Math.abs(ours[k] - want) / scale, 1e-5, `${variant} ${kind} ${label(c)} [${k}]`);
        }
      }
    }
  }
  registerTrainingKernels("wasm");
});

Deno.test("the wasm default installs the SIMD Sum and Mean, and keeps the stock output shapes", async () => {
  const installed = registerTrainingKernels("wasm");
  assert(installed.includes("Sum:simd") && installed.includes("Mean:simd"), `installed: ${installed}`);
  registerTrainingKernels("wasm", { reductions: "js" });
  assertEqualJson(tf.getKernel("Sum", "wasm")?.kernelFunc === sumWasm, true, "JS Sum installed");
  assertEqualJson(tf.getKernel("Mean", "wasm")?.kernelFunc === meanWasm, true, "JS Mean installed");
  registerTrainingKernels("wasm");
  await tf.setBackend("wasm");
  for (const c of CASES) {
    const x = tf.zeros(c.shape);
    const y = tf.mean(x, c.axis, c.keepDims);
    const want = c.keepDims
      ? c.shape.map((d, i) => (tf.util.parseAxisParam(c.axis, c.shape).includes(i) ? 1 : d))
      : c.shape.filter((_, i) => !tf.util.parseAxisParam(c.axis, c.shape).includes(i));
    assertEqualJson(y.shape, want, label(c));
    tf.dispose([x, y]);
  }
});

Deno.test("splitReduction: [outer, r, inner] for contiguous leading or middle axes, undefined otherwise", () => {
  assertEqualJson(
    splitReduction([128, 28, 28, 32], [0, 1, 2], false),
    { outer: 1, r: 128 * 28 * 28, inner: 32, outShape: [32] },
    "batch-norm statistics",
  );
  assertEqualJson(
    splitReduction([6, 49, 5], 1, true),
    { outer: 6, r: 49, inner: 5, outShape: [6, 1, 5] },
    "middle",
  );
  assertEqualJson(splitReduction([4, 5, 6], [0, 2], false), undefined, "not contiguous");
  assertEqualJson(splitReduction([4, 5, 6], [1, 0], false), undefined, "descending");
  assertEqualJson(splitReduction([4, 5, 6], 2, false), undefined, "last axis");
  assertEqualJson(splitReduction([4, 5, 6], [], false), undefined, "no axis");
});

Deno.test("sumMiddleInto sums rows in order in float32 and divides for the mean", () => {
  const out = new Float32Array(2);
  sumMiddleInto(Float32Array.of(1, 2, 3, 4, 5, 6), { outer: 1, r: 3, inner: 2 }, false, out);
  assertEqualJson(Array.from(out), [9, 12], "sum");
  // 2^24 + 1 + 1: float32 rounds each addition (to 2^24), a float64 accumulator would give 2^24 + 2.
  sumMiddleInto(Float32Array.of(2 ** 24, 1, 1), { outer: 1, r: 3, inner: 1 }, false, out.subarray(0, 1));
  assertEqualJson(out[0], 2 ** 24, "float32 rounding");
  sumMiddleInto(Float32Array.of(2, 4, 6, 8), { outer: 1, r: 2, inner: 2 }, true, out);
  assertEqualJson(Array.from(out), [4, 6], "mean");
});
