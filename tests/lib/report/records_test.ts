import assert from "node:assert/strict";
import {
  columns,
  mergeRecords,
  parseRunName,
  readCorruptionMetrics,
  readTrainMetrics,
} from "../../../lib/report/records.ts";
import { perAlphaTable } from "../../../lib/report/summary_table.ts";
import { checkClaims, CLAIMS } from "../../../lib/report/claims.ts";

Deno.test("run names parse to α and seed", () => {
  assert.deepEqual(parseRunName("a-0.3-s2"), { alpha: -0.3, seed: 2 });
  assert.deepEqual(parseRunName("a1-s10"), { alpha: 1, seed: 10 });
  assert.deepEqual(parseRunName("a1e-3-s0"), { alpha: 0.001, seed: 0 });
  assert.equal(parseRunName("model-7"), null);
});

Deno.test("readers keep finite numbers and drop missing or non-numeric fields", () => {
  assert.deepEqual(readTrainMetrics({ test: { acc: 0.8, mean_si: 0.3 }, val: { acc: "x" } }), {
    test_acc: 0.8,
    mean_si: 0.3,
  });
  assert.deepEqual(readTrainMetrics(null), {});
  assert.deepEqual(
    readCorruptionMetrics({ clean_accuracy: 0.9, mean_corrupted_accuracy: null, benchmark: { ratio: 0.7 } }),
    { corrupt_clean_acc: 0.9, corrupted_ratio: 0.7 },
  );
});

Deno.test("records merge per run, sort by α then seed, and skip foreign names", () => {
  const { records, skipped } = mergeRecords([
    { run: "a1-s2", values: { mean_si: 0.5 } },
    { run: "a-1-s1", values: { mean_si: 0.1 } },
    { run: "a1-s1", values: { mean_si: 0.4 } },
    { run: "a1-s2", values: { corrupted_ratio: 0.7 } },
    { run: "junk", values: {} },
  ]);
  assert.deepEqual(records.map((r) => r.run), ["a-1-s1", "a1-s1", "a1-s2"]);
  assert.deepEqual(records[2].values, { mean_si: 0.5, corrupted_ratio: 0.7 });
  assert.deepEqual(skipped, ["junk"]);
  assert.deepEqual(columns(records, ["alpha", "corrupted_ratio"]).values, {
    alpha: [1],
    corrupted_ratio: [0.7],
  });
});

Deno.test("per-α table: mean and t interval over seeds, computed by hand", () => {
  const { records } = mergeRecords([
    { run: "a0-s1", values: { m: 1 } },
    { run: "a0-s2", values: { m: 3 } },
    { run: "a0.5-s1", values: { m: 2 } },
  ]);
  const t = perAlphaTable(records, [{ key: "m", label: "M" }]);
  assert.deepEqual(t.columns, ["α", "networks", "M", "M 95 % CI"]);
  // α = 0: mean 2, s = √2, half width t_{0.975,1}·√2/√2 = 12.7062 → [-10.71, 14.71].
  assert.deepEqual(t.rows[0], [0, 2, 2, "[-10.71, 14.71]"]);
  assert.deepEqual(t.rows[1], [0.5, 1, 2, "—"], "one seed: no interval");
});

Deno.test("claims are checked only where their metrics exist, each with its own seed", () => {
  const entries = [-1, 0, 1].flatMap((alpha) =>
    [1, 2].map((seed) => ({
      run: `a${alpha}-s${seed}`,
      values: { mean_si: 0.3 + 0.2 * alpha + 0.01 * seed },
    }))
  );
  const { records } = mergeRecords(entries);
  const { results, unchecked } = checkClaims(records, CLAIMS, { seed: 0, resamples: 500, permutations: 200 });
  assert.deepEqual(results.map((r) => r.spec.id), ["1"]);
  // α ranks [1.5,1.5,3.5,3.5,5.5,5.5], μ_SI ranks 1..6: Σdxdy = 16, Σdx² = 16, Σdy² = 17.5 → ρ = 4/√17.5.
  assert.ok(Math.abs(results[0].check.estimate - 4 / Math.sqrt(17.5)) < 1e-15);
  // μ_SI increases with α in every pair, so every defined resample has ρ > 0 and the CI excludes 0.
  assert.ok(results[0].check.lo > 0);
  assert.equal(results[0].check.verdict, "reproduced");
  assert.equal(unchecked.length, 2);
  const again = checkClaims(records, CLAIMS.slice(0, 1), { seed: 0, resamples: 500, permutations: 200 });
  assert.deepEqual(
    again.results[0].association,
    results[0].association,
    "other claims do not shift the seed",
  );
});
