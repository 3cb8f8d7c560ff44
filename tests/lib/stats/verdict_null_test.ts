/**
 * The verdict rule under the null: simulated networks whose robustness is independent of μ_SI must be called
 * "reproduced" at most 5 % of the time, at n = 5, 10 and 21 networks, for one claim alone and for a report of
 * 10 claims (family-wise).
 */
import assert from "node:assert/strict";
import { checkAssociation } from "../../../lib/stats/association.ts";
import { holmAdjust } from "../../../lib/stats/holm.ts";
import { verdict } from "../../../lib/stats/verdict.ts";
import { deriveSeed, Rng } from "../../../lib/random.ts";

const options = (seed: number) => ({ seed, resamples: 1, permutations: 400 });

function nullReport(n: number, claims: number, rng: Rng, seed: number): string[] {
  const checks = Array.from({ length: claims }, (_, k) => {
    const x = Array.from({ length: n }, () => rng.normal());
    const y = Array.from({ length: n }, () => rng.normal());
    return checkAssociation(x, y, options(deriveSeed(seed, k)));
  });
  const adjusted = holmAdjust(checks.map((c) => (n >= 10 ? c.p : NaN)));
  return checks.map((c, k) => verdict(1, c.rho, adjusted[k], n));
}

for (const n of [5, 10, 21]) {
  Deno.test(`null at n = ${n}: false "reproduced" at most 5 % (one claim, and any of 10 claims)`, () => {
    const rng = new Rng(deriveSeed(2026, "null", n));
    const single = 600, reports = 400;
    let falseSingle = 0, falseAny = 0;
    for (let i = 0; i < single; i++) {
      if (nullReport(n, 1, rng, i)[0] === "reproduced") falseSingle++;
    }
    for (let i = 0; i < reports; i++) {
      if (nullReport(n, 10, rng, 10_000 + i).includes("reproduced")) falseAny++;
    }
    // One-sided in effect (the sign must match): the expected rate is at most 2.5 %; 5 % is about 3 binomial
    // SDs away for one claim and 3 for the 400 reports.
    assert.ok(falseSingle / single <= 0.05, `single-claim rate ${falseSingle / single}`);
    assert.ok(falseAny / reports <= 0.05, `family-wise rate ${falseAny / reports}`);
    if (n < 10) assert.equal(falseSingle + falseAny, 0, "below 10 networks nothing is reproduced");
  });
}

Deno.test("the rule has power: a real monotone trend at n = 21 is reproduced in a report of 10 claims", () => {
  const rng = new Rng(7);
  const x = Array.from({ length: 21 }, (_, i) => i);
  const y = x.map((v) => v + 3 * rng.normal());
  const c = checkAssociation(x, y, options(1));
  const ps = [c.p, ...Array(9).fill(0.5)];
  assert.equal(verdict(1, c.rho, holmAdjust(ps)[0], 21), "reproduced");
  assert.equal(verdict(-1, c.rho, holmAdjust(ps)[0], 21), "contradicted");
});
