import assert from "node:assert/strict";
import { DEFAULT_RULE, verdict } from "../../../lib/stats/verdict.ts";

Deno.test("verdict: sign and adjusted p decide, with at least 10 networks", () => {
  assert.equal(verdict(-1, -0.4, 0.01, 12), "reproduced");
  assert.equal(verdict(1, 0.4, 0.049, 10), "reproduced");
  assert.equal(verdict(1, -0.4, 0.01, 12), "contradicted");
  assert.equal(verdict(-1, 0.4, 0.001, 30), "contradicted");
  assert.equal(verdict(1, 0.4, 0.05, 12), "consistent in sign, not significant", "p = α is not below α");
  assert.equal(verdict(1, -0.2, 0.3, 12), "opposite in sign, not significant");
  assert.equal(verdict(1, 0.99, 0.0001, 9), "too few networks (9)");
  assert.equal(verdict(-1, NaN, NaN, 12), "undefined statistic");
  assert.equal(verdict(1, 0, 0.5, 12), "undefined statistic");
  assert.equal(
    verdict(1, 0.5, 0.04, 5, { alpha: 0.05, minNetworks: 5 }),
    "reproduced",
    "the rule is a value",
  );
  assert.deepEqual(DEFAULT_RULE, { alpha: 0.05, minNetworks: 10 });
});

Deno.test("verdict rejects a bad sign or a p outside [0, 1]", () => {
  assert.throws(() => verdict(0 as 1, 0.1, 0.5, 12), /expectedSign/);
  assert.throws(() => verdict(1, 0.1, 1.5, 12), /\[0, 1\]/);
});
