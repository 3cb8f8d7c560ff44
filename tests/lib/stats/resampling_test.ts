import assert from "node:assert/strict";
import { bootstrapCI, permutationPValue } from "../../../lib/stats/resampling.ts";
import { spearman } from "../../../lib/stats/correlation.ts";
import { mean, type Numbers } from "../../../lib/stats/descriptive.ts";
import { Rng } from "../../../lib/random.ts";

function correlated(n: number, seed: number, noise: number): { x: number[]; y: number[] } {
  const rng = new Rng(seed);
  const x = Array.from({ length: n }, () => rng.normal());
  return { x, y: x.map((v) => -v + noise * rng.normal()) };
}

Deno.test("bootstrap CI is fixed by its seed", () => {
  const { x, y } = correlated(30, 1, 1);
  const a = bootstrapCI(x, y, spearman, { seed: 5, resamples: 500 });
  const b = bootstrapCI(x, y, spearman, { seed: 5, resamples: 500 });
  const c = bootstrapCI(x, y, spearman, { seed: 6, resamples: 500 });
  assert.deepEqual(a, b);
  assert.notDeepEqual([a.lo, a.hi], [c.lo, c.hi]);
  assert.ok(a.lo < a.estimate && a.estimate < a.hi, JSON.stringify(a));
  assert.ok(a.hi < 0, "a strong negative association gives an interval below 0");
});

Deno.test("percentile bootstrap of a mean is close to the t interval", () => {
  // Independent check of the resampling and percentile logic: for n = 400 normal values the bootstrap
  // percentile interval of the mean is ≈ x̄ ± 1.96·s/√n.
  const rng = new Rng(11);
  const x = Array.from({ length: 400 }, () => rng.normal(3, 2));
  const ci = bootstrapCI(x, x, (a: Numbers) => mean(a), { seed: 2, resamples: 4000 });
  const m = mean(x);
  const s = Math.sqrt(x.reduce((acc, v) => acc + (v - m) ** 2, 0) / 399);
  const half = 1.96 * s / 20;
  assert.ok(Math.abs(ci.lo - (m - half)) < 0.1 * half, `lo ${ci.lo} vs ${m - half}`);
  assert.ok(Math.abs(ci.hi - (m + half)) < 0.1 * half, `hi ${ci.hi} vs ${m + half}`);
});

Deno.test("bootstrap counts undefined resamples and reports NaN when most are undefined", () => {
  // x = nine 0s and one 1: a resample is constant in x (ρ undefined) with probability 0.9^10 + 0.1^10 ≈ 0.3487.
  const x = [0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
  const y = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const some = bootstrapCI(x, y, spearman, { seed: 1, resamples: 4000 });
  assert.ok(Math.abs(some.undefinedResamples / 4000 - 0.3487) < 0.03, `${some.undefinedResamples}`);
  assert.ok(Number.isFinite(some.lo) && Number.isFinite(some.hi));
  // A statistic defined only when the first draw is pair 0: undefined with probability 3/4 → no interval.
  const rare = (a: Numbers) => (a[0] === 0 ? 1 : NaN);
  const most = bootstrapCI([0, 1, 2, 3], [0, 1, 2, 3], rare, { seed: 1, resamples: 2000 });
  assert.ok(Math.abs(most.undefinedResamples / 2000 - 0.75) < 0.05, `${most.undefinedResamples}`);
  assert.ok(Number.isNaN(most.lo) && Number.isNaN(most.hi));
});

Deno.test("permutation p-value matches the exact enumeration for n = 5", () => {
  // Of the 5! = 120 orderings only the identity and the reversal give |ρ| = 1: exact two-sided p = 2/120.
  const x = [1, 2, 3, 4, 5];
  const r = permutationPValue(x, [10, 20, 30, 40, 50], spearman, { seed: 3, permutations: 20000 });
  assert.equal(r.estimate, 1);
  assert.ok(Math.abs(r.p - 2 / 120) < 0.004, `p = ${r.p}`);
  assert.deepEqual(r, permutationPValue(x, [10, 20, 30, 40, 50], spearman, { seed: 3, permutations: 20000 }));
});

Deno.test("permutation p-value is large for unrelated data and never zero", () => {
  const rng = new Rng(4);
  const x = Array.from({ length: 40 }, () => rng.normal());
  const y = Array.from({ length: 40 }, () => rng.normal());
  const r = permutationPValue(x, y, spearman, { seed: 9, permutations: 2000 });
  assert.ok(r.p > 0.05, `p = ${r.p}`);
  const strong = correlated(40, 2, 0.1);
  const s = permutationPValue(strong.x, strong.y, spearman, { seed: 9, permutations: 2000 });
  assert.equal(s.p, 1 / 2001);
});
