import assert from "node:assert/strict";
import { withinGroupAssociation } from "../../../lib/stats/within_group.ts";
import { spearman } from "../../../lib/stats/correlation.ts";
import { Rng } from "../../../lib/random.ts";

Deno.test("within-group ρ is Spearman of the residuals from each group's mean, computed independently", () => {
  // Group means move x and y together (across-group trend); within groups y falls with x.
  const groups = [0, 0, 0, 1, 1, 1];
  const x = [1, 2, 3, 11, 12, 13];
  const y = [3, 2, 1, 13, 12, 11];
  const c = withinGroupAssociation(x, y, groups, { seed: 0, permutations: 500, resamples: 200 });
  assert.equal(spearman(x, y) > 0.5, true, "pooled ρ is positive");
  assert.equal(c.rho, spearman([-1, 0, 1, -1, 0, 1], [1, 0, -1, 1, 0, -1]));
  assert.equal(c.slope, -1);
  assert.deepEqual([c.n, c.groups], [6, 2]);
  // 3!·3! = 36 within-group arrangements; |ρ| = 1 needs both groups reversed or both kept: 2 of 36.
  assert.ok(Math.abs(c.p - 2 / 36) < 0.03, `p ${c.p}`);
});

Deno.test("within-group: singletons are dropped; a pure across-group trend is not within-group evidence", () => {
  const rng = new Rng(4);
  const groups: number[] = [], x: number[] = [], y: number[] = [];
  for (let g = 0; g < 6; g++) {
    for (let s = 0; s < 3; s++) {
      groups.push(g);
      x.push(g + 0.3 * rng.normal());
      y.push(g + 0.3 * rng.normal()); // shares only the group mean with x
    }
  }
  groups.push(99), x.push(0), y.push(0);
  const c = withinGroupAssociation(x, y, groups, { seed: 1, permutations: 2000, resamples: 500 });
  assert.equal(c.n, 18);
  assert.ok(spearman(x, y) > 0.8, "pooled ρ is strong");
  assert.ok(c.p > 0.05, `within-group p ${c.p} should not be significant`);
  assert.ok(c.lo < 0 && c.hi > 0, `CI [${c.lo}, ${c.hi}] should straddle 0`);
  const none = withinGroupAssociation([1, 2, 3], [1, 2, 3], [0, 1, 2], { seed: 0 });
  assert.ok(Number.isNaN(none.rho) && none.n === 0);
});
