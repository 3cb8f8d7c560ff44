import assert from "node:assert/strict";
import { checkAssociation } from "../../../lib/stats/association.ts";
import { Rng } from "../../../lib/random.ts";

function noisyLine(n: number, slope: number, noise: number, seed: number) {
  const rng = new Rng(seed);
  const x = Array.from({ length: n }, (_, i) => i / n);
  return { x, y: x.map((v) => 1 + slope * v + noise * rng.normal()) };
}

Deno.test("a clear negative trend: ρ, CI below 0, the slope, and the smallest permutation p", () => {
  const { x, y } = noisyLine(30, -2, 0.1, 1);
  const neg = checkAssociation(x, y, { seed: 0, resamples: 1000, permutations: 1000 });
  assert.ok(neg.hi < 0 && neg.rho < -0.8, JSON.stringify(neg));
  assert.ok(Math.abs(neg.slope + 2) < 0.2, `slope ${neg.slope}`);
  assert.equal(neg.p, 1 / 1001);
});

Deno.test("the rank-shuffling permutation p equals shuffling the values (same seed)", async () => {
  const { permutationPValue } = await import("../../../lib/stats/resampling.ts");
  const { spearman } = await import("../../../lib/stats/correlation.ts");
  const { deriveSeed } = await import("../../../lib/random.ts");
  const { x, y } = noisyLine(12, 0.5, 0.4, 9);
  const c = checkAssociation(x, y, { seed: 3, resamples: 10, permutations: 999 });
  const direct = permutationPValue(x, y, spearman, { seed: deriveSeed(3, "permutation"), permutations: 999 });
  assert.equal(c.p, direct.p);
});

Deno.test("pure noise has a large p, and a constant x gives NaN slope, not an error", () => {
  const rng = new Rng(3);
  const x = Array.from({ length: 12 }, () => rng.normal());
  const y = Array.from({ length: 12 }, () => rng.normal());
  const c = checkAssociation(x, y, { seed: 5, resamples: 1000, permutations: 500 });
  assert.ok(c.p > 0.05 && c.lo < 0 && c.hi > 0, JSON.stringify(c));
  const flat = checkAssociation([1, 1, 1, 1], [1, 2, 3, 4], { seed: 0, resamples: 200, permutations: 50 });
  assert.ok(Number.isNaN(flat.slope) && Number.isNaN(flat.rho) && Number.isNaN(flat.p));
});
