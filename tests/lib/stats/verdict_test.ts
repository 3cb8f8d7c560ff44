import assert from "node:assert/strict";
import { verdict } from "../../../lib/stats/verdict.ts";

Deno.test("verdict follows the side of zero the interval lies on", () => {
  assert.equal(verdict(-1, -0.4, { lo: -0.7, hi: -0.1 }), "reproduced");
  assert.equal(verdict(1, 0.4, { lo: 0.1, hi: 0.7 }), "reproduced");
  assert.equal(verdict(1, -0.4, { lo: -0.7, hi: -0.1 }), "contradicted");
  assert.equal(verdict(-1, 0.4, { lo: 0.1, hi: 0.7 }), "contradicted");
  assert.equal(verdict(1, 0.1, { lo: -0.2, hi: 0.4 }), "inconclusive at this scale");
  assert.equal(
    verdict(1, 0.1, { lo: 0, hi: 0.4 }),
    "inconclusive at this scale",
    "touching 0 does not exclude it",
  );
  assert.equal(verdict(-1, NaN, { lo: NaN, hi: NaN }), "inconclusive at this scale");
});

Deno.test("verdict rejects a bad sign or a reversed interval", () => {
  assert.throws(() => verdict(0 as 1, 0.1, { lo: 0, hi: 1 }), /expectedSign/);
  assert.throws(() => verdict(1, 0.1, { lo: 1, hi: 0 }), /reversed/);
});
