import assert from "node:assert/strict";
import { holmAdjust } from "../../../lib/stats/holm.ts";

Deno.test("Holm adjustment worked by hand, in input order, monotone and capped at 1", () => {
  // Sorted 0.01, 0.03, 0.04 with m = 3: 3·0.01 = 0.03, 2·0.03 = 0.06, 1·0.04 = 0.04 → max-accumulated 0.06.
  const a = holmAdjust([0.01, 0.04, 0.03]);
  [0.03, 0.06, 0.06].forEach((v, i) => assert.ok(Math.abs(a[i] - v) < 1e-15, `${a}`));
  assert.deepEqual(holmAdjust([0.5, 0.6]), [1, 1]);
  assert.deepEqual(holmAdjust([0.02]), [0.02], "a family of one is not adjusted");
});

Deno.test("Holm: NaN entries are outside the family and stay NaN", () => {
  const a = holmAdjust([NaN, 0.01, 0.02, NaN]);
  assert.ok(Number.isNaN(a[0]) && Number.isNaN(a[3]));
  assert.deepEqual([a[1], a[2]], [0.02, 0.02]);
  assert.throws(() => holmAdjust([1.2]), /\[0, 1\]/);
});
