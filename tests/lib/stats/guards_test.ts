/** Input guards of the statistics library at their boundaries (each found by a surviving mutant). */
import assert from "node:assert/strict";
import { mean, quantileSorted } from "../../../lib/stats/descriptive.ts";
import { bootstrapMeanCI } from "../../../lib/stats/paired.ts";
import { bootstrapCI, permutationPValue } from "../../../lib/stats/resampling.ts";
import { pearson } from "../../../lib/stats/correlation.ts";
import { verdict } from "../../../lib/stats/verdict.ts";

Deno.test("a non-finite first value is refused like any other", () => {
  assert.throws(() => mean([NaN, 1, 2]), /value 0 is NaN/);
  assert.throws(() => quantileSorted([NaN, 1], 0.5), /quantileSorted: value 0 is NaN/);
  assert.throws(() => quantileSorted([1, Infinity], 0.5), /quantileSorted: value 1 is Infinity/);
  assert.throws(() => quantileSorted([], 0.5), /quantileSorted: needs at least 1 values, got 0/);
});

Deno.test("bootstrapMeanCI: the level must lie strictly inside (0, 1)", () => {
  for (const level of [0, 1, 1.5, -0.5]) {
    assert.throws(
      () => bootstrapMeanCI([1, 2, 3], { seed: 1, level }),
      /level must be in \(0, 1\)/,
      `${level}`,
    );
  }
  assert.ok(bootstrapMeanCI([1, 2, 3], { seed: 1, level: 0.5, resamples: 10 }).lo >= 1);
});

Deno.test("resampling counts: 1 is the smallest allowed", () => {
  const x = [1, 2, 3, 4], y = [2, 1, 4, 3];
  assert.equal(bootstrapCI(x, y, pearson, { seed: 1, resamples: 1 }).resamples, 1);
  assert.equal(permutationPValue(x, y, pearson, { seed: 1, permutations: 1 }).permutations, 1);
  assert.throws(
    () => bootstrapCI(x, y, pearson, { seed: 1, resamples: 0 }),
    /resamples must be an integer ≥ 1/,
  );
  assert.throws(
    () => permutationPValue(x, y, pearson, { seed: 1, permutations: 0.5 }),
    /permutations must be/,
  );
});

Deno.test("verdict: a NaN estimate or p is an undefined statistic; n at the minimum is tested", () => {
  assert.equal(verdict(-1, -0.4, 0.01, 10), "reproduced");
  assert.equal(verdict(-1, NaN, 0.01, 10), "undefined statistic");
  assert.equal(verdict(-1, -0.4, NaN, 10), "undefined statistic");
  assert.equal(verdict(-1, 0, 0.01, 10), "undefined statistic");
  assert.equal(verdict(-1, -0.4, 0.01, 9), "too few networks (9)");
  assert.equal(
    verdict(-1, -0.4, 0.05, 10),
    "consistent in sign, not significant",
    "p = alpha is not below it",
  );
});
