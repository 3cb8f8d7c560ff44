import assert from "node:assert/strict";
import {
  mean,
  pairedMoments,
  quantileSorted,
  sampleStd,
  sampleVariance,
} from "../../../lib/stats/descriptive.ts";
import { meanCI, summarizeGroups } from "../../../lib/stats/confidence.ts";

const close = (a: number, b: number, tol: number, msg?: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${msg ?? ""} ${a} vs ${b} (tol ${tol})`);

Deno.test("mean and sample std of a hand-worked set", () => {
  // [2,4,4,4,5,5,7,9]: mean 5, squared deviations 9+1+1+1+0+0+4+16 = 32, variance 32/7.
  const xs = [2, 4, 4, 4, 5, 5, 7, 9];
  assert.equal(mean(xs), 5);
  close(sampleVariance(xs), 32 / 7, 1e-15);
  close(sampleStd(xs), Math.sqrt(32 / 7), 1e-15);
  // A large offset does not change the spread (two-pass variance).
  close(sampleStd(xs.map((x) => x + 1e9)), Math.sqrt(32 / 7), 1e-6);
});

Deno.test("descriptive stats reject bad input with a message", () => {
  assert.throws(() => mean([]), /at least 1/);
  assert.throws(() => sampleStd([1]), /at least 2/);
  assert.throws(() => mean([1, NaN]), /value 1 is NaN/);
});

Deno.test("type-7 quantiles match hand interpolation", () => {
  assert.equal(quantileSorted([1, 2, 3, 4], 0.5), 2.5);
  assert.equal(quantileSorted([1, 2, 3, 4], 0), 1);
  assert.equal(quantileSorted([1, 2, 3, 4], 1), 4);
  // h = 3·0.25 = 0.75 → 10 + 0.75·(20 − 10)
  assert.equal(quantileSorted([10, 20, 30, 40], 0.25), 17.5);
  assert.throws(() => quantileSorted([2, 1], 0.5), /not sorted/);
});

Deno.test("meanCI uses the published t critical value", () => {
  // n = 3: mean 0.51, s = 0.01, t_{0.975,2} = 4.302652729749464 (published tables).
  const ci = meanCI([0.5, 0.52, 0.51]);
  close(ci.mean, 0.51, 1e-15);
  close(ci.std, 0.01, 1e-15);
  const half = 4.302652729749464 * 0.01 / Math.sqrt(3);
  close(ci.lo, 0.51 - half, 1e-12);
  close(ci.hi, 0.51 + half, 1e-12);
  assert.equal(ci.n, 3);
});

Deno.test("meanCI of one value has an undefined interval, not a zero-width one", () => {
  const ci = meanCI([0.7]);
  assert.equal(ci.mean, 0.7);
  assert.ok(Number.isNaN(ci.lo) && Number.isNaN(ci.hi) && Number.isNaN(ci.std));
});

Deno.test("summarizeGroups groups by key and sorts keys numerically", () => {
  const groups = summarizeGroups([
    { key: 10, value: 1 },
    { key: -2, value: 3 },
    { key: 10, value: 3 },
    { key: 2, value: 5 },
  ]);
  assert.deepEqual(groups.map((g) => g.key), [-2, 2, 10]);
  assert.equal(groups[2].mean, 2);
  assert.equal(groups[2].n, 2);
  // n = 2: half width = t_{0.975,1} · s/√2 with s = √2 → 12.706204736174698
  close(groups[2].hi - groups[2].mean, 12.706204736174698, 1e-9);
});

Deno.test("paired moments by hand: x = 0, 1, 2; y = 1, 3, 5 (and a shifted copy gives the same sums)", () => {
  // x̄ = 1, ȳ = 3; Σ(x−x̄)² = 1 + 0 + 1 = 2; Σ(y−ȳ)² = 4 + 0 + 4 = 8; Σ(x−x̄)(y−ȳ) = 2 + 0 + 2 = 4.
  assert.deepEqual(pairedMoments([0, 1, 2], [1, 3, 5]), { mx: 1, my: 3, sxx: 2, syy: 8, sxy: 4 });
  const shifted = pairedMoments([1e6, 1e6 + 1, 1e6 + 2], [1, 3, 5]);
  assert.deepEqual([shifted.sxx, shifted.syy, shifted.sxy], [2, 8, 4]);
});
