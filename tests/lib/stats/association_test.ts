import assert from "node:assert/strict";
import { checkAssociation } from "../../../lib/stats/association.ts";
import { Rng } from "../../../lib/random.ts";

function noisyLine(n: number, slope: number, noise: number, seed: number) {
  const rng = new Rng(seed);
  const x = Array.from({ length: n }, (_, i) => i / n);
  return { x, y: x.map((v) => 1 + slope * v + noise * rng.normal()) };
}

Deno.test("a clear negative trend is reproduced when negative is expected and contradicted otherwise", () => {
  const { x, y } = noisyLine(30, -2, 0.1, 1);
  const neg = checkAssociation(x, y, -1, { seed: 0, resamples: 1000, permutations: 1000 });
  assert.equal(neg.verdict, "reproduced");
  assert.ok(neg.hi < 0 && neg.rho < -0.8, JSON.stringify(neg));
  assert.ok(Math.abs(neg.slope + 2) < 0.2, `slope ${neg.slope}`);
  assert.equal(neg.p, 1 / 1001);
  const pos = checkAssociation(x, y, 1, { seed: 0, resamples: 1000, permutations: 1000 });
  assert.equal(pos.verdict, "contradicted");
  assert.deepEqual({ ...pos, verdict: "" }, { ...neg, verdict: "" }, "only the verdict depends on the sign");
});

Deno.test("pure noise is inconclusive, and a constant x gives NaN slope, not an error", () => {
  const rng = new Rng(3);
  const x = Array.from({ length: 12 }, () => rng.normal());
  const y = Array.from({ length: 12 }, () => rng.normal());
  const c = checkAssociation(x, y, 1, { seed: 5, resamples: 1000, permutations: 500 });
  assert.equal(c.verdict, "inconclusive at this scale");
  const flat = checkAssociation([1, 1, 1, 1], [1, 2, 3, 4], 1, { seed: 0, resamples: 200, permutations: 50 });
  assert.ok(Number.isNaN(flat.slope) && Number.isNaN(flat.rho) && Number.isNaN(flat.p));
  assert.equal(flat.verdict, "inconclusive at this scale");
});
