import assert from "node:assert/strict";
import { describe, histogram } from "../../../lib/measure/distribution.ts";

Deno.test("describe: hand-worked mean, sample std, median and type-7 quantiles", () => {
  const d = describe([4, 1, 3, 2], [0.25, 0.9]);
  assert.equal(d.n, 4);
  assert.equal(d.mean, 2.5);
  assert.ok(Math.abs(d.std - Math.sqrt(5 / 3)) < 1e-15);
  assert.deepEqual([d.min, d.median, d.max], [1, 2.5, 4]);
  // Ranks 0.75 and 2.7 of [1, 2, 3, 4].
  assert.deepEqual(d.quantiles, { "0.25": 1.75, "0.9": 3.7 });
  assert.equal(describe([7]).std, 0);
  assert.throws(() => describe([]), /describe/);
});

Deno.test("histogram: equal bins, right edge in the last bin, out of range is an error", () => {
  assert.deepEqual(histogram([0, 0.2, 0.5, 1, 0.99], 2, 0, 1), { edges: [0, 0.5, 1], counts: [2, 3] });
  assert.deepEqual(histogram([], 4, 0, 1).counts, [0, 0, 0, 0]);
  assert.throws(() => histogram([1.5], 2, 0, 1), /outside/);
});
