import assert from "node:assert/strict";
import { pearson, spearman, spearmanStatistic } from "../../../lib/stats/correlation.ts";
import { averageRanks, fillAverageRanks } from "../../../lib/stats/ranks.ts";
import { Rng } from "../../../lib/random.ts";
import { linearFit } from "../../../lib/stats/linear_fit.ts";

const close = (a: number, b: number, tol: number, msg?: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${msg ?? ""} ${a} vs ${b} (tol ${tol})`);

Deno.test("average ranks share tied positions", () => {
  assert.deepEqual([...averageRanks([10, 20, 20, 5])], [2, 3.5, 3.5, 1]);
  assert.deepEqual([...averageRanks([7, 7, 7])], [2, 2, 2]);
});

/** Average ranks by counting: (values below) + (values equal, itself included, + 1) / 2. */
function ranksByCounting(xs: number[]): number[] {
  return xs.map((x) => {
    const below = xs.filter((y) => y < x).length, equal = xs.filter((y) => y === x).length;
    return below + (equal + 1) / 2;
  });
}

Deno.test("average ranks equal the counted ones, by insertion sort (n ≤ 32) and by sort (n > 32), with ties", () => {
  const rng = new Rng(5);
  for (const n of [1, 2, 9, 32, 33, 200]) {
    // Values from a few levels, so that most are tied.
    const xs = Array.from({ length: n }, () => rng.int(Math.max(2, n >> 2)) - 3);
    assert.deepEqual([...averageRanks(xs)], ranksByCounting(xs), `n = ${n}`);
    const ranks = new Float64Array(n), order = new Int32Array(n);
    assert.equal(fillAverageRanks(xs, ranks, order), ranks);
    assert.deepEqual([...ranks], ranksByCounting(xs), `fill, n = ${n}`);
  }
  assert.throws(() => fillAverageRanks([1, 2], new Float64Array(3), new Int32Array(2)), /buffers of 3 and 2/);
});

Deno.test("spearmanStatistic equals spearman to the bit, across calls of different lengths", () => {
  const rng = new Rng(9);
  const rho = spearmanStatistic();
  for (const n of [10, 10, 4, 40, 10]) {
    const x = Array.from({ length: n }, () => rng.int(6));
    const y = Array.from({ length: n }, () => rng.normal());
    assert.ok(Object.is(rho(x, y), spearman(x, y)), `n = ${n}`);
  }
  assert.ok(Number.isNaN(rho([1, 1, 1], [1, 2, 3])), "constant x: undefined");
  assert.throws(() => rho([1, 2, NaN], [1, 2, 3]), /spearman \(x\): value 2 is NaN/);
});

Deno.test("Spearman with ties equals the hand-worked value 11/38", () => {
  // x = [1,2,2,3,4] → ranks [1, 2.5, 2.5, 4, 5]; y = [3,1,2,2,5] → ranks [4, 1, 2.5, 2.5, 5].
  // Deviations from the mean rank 3: dx = [-2,-.5,-.5,1,2], dy = [1,-2,-.5,-.5,2];
  // Σdxdy = -2 + 1 + .25 - .5 + 4 = 2.75, Σdx² = Σdy² = 9.5 → ρ = 2.75/9.5 = 11/38.
  close(spearman([1, 2, 2, 3, 4], [3, 1, 2, 2, 5]), 11 / 38, 1e-15);
});

Deno.test("Spearman is invariant to monotone transforms and is ±1 for monotone data", () => {
  const x = [0.1, 0.5, 0.2, 0.9, 0.7, 0.3];
  const y = [3, 1, 4, 1, 5, 9];
  close(spearman(x, y), spearman(x.map(Math.exp), y.map((v) => v ** 3)), 1e-15);
  assert.equal(spearman([1, 2, 3, 4], [10, 100, 1000, 1e4]), 1);
  assert.equal(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1);
  // Without ties, ρ = 1 − 6Σd²/(n(n²−1)): x ranks [1,2,3,4], y ranks [1,3,2,4] → Σd² = 2 → 0.8.
  close(spearman([1, 2, 3, 4], [1, 3, 2, 4]), 0.8, 1e-15);
});

Deno.test("Pearson equals the hand-worked value and is undefined for a constant variable", () => {
  // x = [1,2,3], y = [2,4,7]: Σdxdy = 5, Σdx² = 2, Σdy² = 114/9 → r = 15/√228.
  close(pearson([1, 2, 3], [2, 4, 7]), 15 / Math.sqrt(228), 1e-15);
  assert.ok(Number.isNaN(pearson([1, 2, 3], [5, 5, 5])));
  assert.ok(Number.isNaN(spearman([1, 1, 1], [1, 2, 3])));
  assert.throws(() => pearson([1, 2], [1, 2, 3]), /x has 2 values but y has 3/);
});

Deno.test("linear fit recovers exact lines and a hand-worked noisy fit", () => {
  const x = [-2, 0.5, 1, 3, 10];
  const fit = linearFit(x, x.map((v) => -0.25 * v + 4));
  close(fit.slope, -0.25, 1e-15);
  close(fit.intercept, 4, 1e-14);
  close(fit.r2, 1, 1e-15);
  // x = [0,1,2], y = [0,2,1]: slope Σdxdy/Σdx² = 1/2, intercept 1 − 1/2 = 1/2,
  // residuals [-.5, 1, -.5] → SS_res = 1.5, SS_tot = 2 → r² = 0.25 (= Pearson r²).
  const noisy = linearFit([0, 1, 2], [0, 2, 1]);
  assert.deepEqual([noisy.slope, noisy.intercept, noisy.r2, noisy.n], [0.5, 0.5, 0.25, 3]);
  close(pearson([0, 1, 2], [0, 2, 1]) ** 2, 0.25, 1e-15);
  assert.throws(() => linearFit([1, 1], [1, 2]), /all x values are equal/);
});
