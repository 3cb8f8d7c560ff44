import assert from "node:assert/strict";
import { bootstrapMeanCI, checkPairedDifference, signTest } from "../../../lib/stats/paired.ts";

Deno.test("sign test p-values worked by hand from the binomial distribution", () => {
  // 3 of 4 non-zero differences positive: P(X ≤ 1) = (C(4,0) + C(4,1))/2⁴ = 5/16, two-sided 10/16.
  assert.deepEqual(signTest([1, 2, 3, -1, 0]), { positive: 3, negative: 1, zeros: 1, p: 0.625 });
  // 6 of 6 positive: 2·(1/64).
  assert.ok(Math.abs(signTest([1, 1, 2, 3, 5, 8]).p - 1 / 32) < 1e-15);
  // 10 vs 0 among 10: 2/1024; 5 vs 5: the tail passes ½, so p is capped at 1.
  assert.ok(Math.abs(signTest(Array(10).fill(-0.5)).p - 2 / 1024) < 1e-15);
  assert.equal(signTest([1, 1, 1, 1, 1, -1, -1, -1, -1, -1]).p, 1);
  // 8 positive, 2 negative: 2·(1 + 10 + 45)/1024.
  assert.ok(Math.abs(signTest([1, 1, 1, 1, 1, 1, 1, 1, -1, -1]).p - 112 / 1024) < 1e-14);
  assert.deepEqual(signTest([0, 0]), { positive: 0, negative: 0, zeros: 2, p: 1 });
});

Deno.test("bootstrap CI of a mean matches the exact resampling distribution", () => {
  // Two values: resampled means are 0, ½, 1 with probabilities ¼, ½, ¼, so the 2.5 % and 97.5 % quantiles
  // are exactly the extremes.
  const two = bootstrapMeanCI([0, 1], { seed: 1, resamples: 4000 });
  assert.deepEqual([two.mean, two.lo, two.hi], [0.5, 0, 1]);
  // Three values {0, 3, 9}: enumerate all 27 equally likely resamples for the exact 10 % and 90 % quantiles of
  // the mean, then compare with the seeded bootstrap at level 0.8.
  const xs = [0, 3, 9];
  const exact: number[] = [];
  for (const a of xs) for (const b of xs) for (const c of xs) exact.push((a + b + c) / 3);
  exact.sort((p, q) => p - q);
  const cdf = (v: number) => exact.filter((m) => m <= v).length / 27;
  const ci = bootstrapMeanCI(xs, { seed: 7, resamples: 20000, level: 0.8 });
  // The 10 % point lies where the exact CDF crosses 0.1, the 90 % point where it crosses 0.9.
  assert.ok(cdf(ci.lo) >= 0.1 - 0.01 && cdf(ci.lo - 1e-9) <= 0.1 + 0.01, `lo ${ci.lo}`);
  assert.ok(cdf(ci.hi) >= 0.9 - 0.01 && cdf(ci.hi - 1e-9) <= 0.9 + 0.01, `hi ${ci.hi}`);
  assert.deepEqual(
    bootstrapMeanCI(xs, { seed: 7, resamples: 500 }),
    bootstrapMeanCI(xs, { seed: 7, resamples: 500 }),
  );
  assert.throws(() => bootstrapMeanCI([1], { seed: 0 }), /at least 2/);
});

Deno.test("paired check: mean difference, its CI and the sign test; swapping the pairs flips the sign", () => {
  const corruption = [40, 42, 38, 45, 41, 39];
  const attack = [55, 50, 47, 60, 52, 44];
  const up = checkPairedDifference(corruption, attack, { seed: 0, resamples: 2000 });
  assert.ok(Math.abs(up.mean - (15 + 8 + 9 + 15 + 11 + 5) / 6) < 1e-12);
  assert.ok(up.lo > 0);
  assert.equal(up.positive, 6);
  assert.ok(Math.abs(up.p - 1 / 32) < 1e-15);
  const down = checkPairedDifference(attack, corruption, { seed: 0, resamples: 2000 });
  assert.ok(down.hi < 0 && down.negative === 6 && down.p === up.p);
  const mixed = checkPairedDifference([1, 2, 3, 4], [2, 1, 4, 3], { seed: 0, resamples: 2000 });
  assert.equal(mixed.p, 1);
  assert.throws(() => checkPairedDifference([1, 2], [1, 2], { seed: 0 }), /at least 3 pairs/);
});
