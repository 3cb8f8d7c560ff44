import assert from "node:assert/strict";
import { columns, fillMissing, mergeRecords, parseRunName } from "../../../lib/report/records.ts";
import { epsLabel, readCorruptionMetrics, readTrainMetrics } from "../../../lib/report/readers.ts";
import { columnLabel } from "../../../lib/report/labels.ts";
import { perAlphaTable } from "../../../lib/report/summary_table.ts";
import { checkClaims, CLAIMS } from "../../../lib/report/claims.ts";

Deno.test("run names parse to α and seed", () => {
  assert.deepEqual(parseRunName("a-0.3-s2"), { alpha: -0.3, seed: 2, method: "standard" });
  assert.deepEqual(parseRunName("a1-s10"), { alpha: 1, seed: 10, method: "standard" });
  assert.deepEqual(parseRunName("a1e-3-s0"), { alpha: 0.001, seed: 0, method: "standard" });
  assert.equal(parseRunName("model-7"), null);
});

Deno.test("readers name the file and field of a malformed file; null fields give no column", () => {
  assert.deepEqual(readTrainMetrics({ test: { acc: 0.8, mean_si: 0.3 }, val: { acc: null } }, "m.json"), {
    test_acc: 0.8,
    train_mean_si: 0.3,
  });
  assert.throws(
    () => readTrainMetrics({ test: { acc: "x", mean_si: 0.3 } }, "m.json"),
    /^Error: m\.json: test\.acc: /,
  );
  assert.throws(() => readTrainMetrics(null, "m.json"), /m\.json: \(top level\)/);
  assert.deepEqual(
    readCorruptionMetrics(
      { clean_accuracy: 0.9, benchmark: { mean_accuracy: 0.6, drop: 0.3, ratio: null }, per_severity: {} },
      "c.json",
    ),
    { corrupt_clean_acc: 0.9, corrupted_acc: 0.6, corrupted_drop: 0.3 },
  );
  assert.equal(epsLabel("linf", 2 / 255), "2");
  assert.equal(epsLabel("linf", 0.5 / 255), "0.5");
  assert.equal(epsLabel("l2", 0.25), "0.25");
  assert.equal(columnLabel("adv_acc:pgd-linf:2"), "accuracy pgd-linf ε=2/255");
  assert.equal(columnLabel("corrupted_acc_sev:3"), "corrupted accuracy, severity 3");
  assert.equal(columnLabel("unknown_key"), "unknown_key");
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
  records[0].values.train_mean_si = 0.2;
  assert.deepEqual(fillMissing(records, "mean_si", "train_mean_si"), [], "a measured μ_SI is kept");
  delete records[0].values.mean_si;
  assert.deepEqual(fillMissing(records, "mean_si", "train_mean_si"), ["a-1-s1"]);
  assert.equal(records[0].values.mean_si, 0.2);
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
  const results = checkClaims(records, CLAIMS, { seed: 0, resamples: 500, permutations: 200 });
  assert.deepEqual(results.filter((r) => r.stats !== null).map((r) => r.spec.id), ["1"]);
  // α ranks [1.5,1.5,3.5,3.5,5.5,5.5], μ_SI ranks 1..6: Σdxdy = 16, Σdx² = 16, Σdy² = 17.5 → ρ = 4/√17.5.
  assert.ok(Math.abs(results[0].check.estimate - 4 / Math.sqrt(17.5)) < 1e-15);
  // μ_SI increases with α in every pair, so every defined resample has ρ > 0 and the CI excludes 0; but 6
  // networks are fewer than the rule's 10.
  assert.ok(results[0].check.lo > 0);
  assert.equal(results[0].check.verdict, "too few networks (6)");
  const lenient = checkClaims(records, CLAIMS, {
    seed: 0,
    resamples: 500,
    permutations: 200,
    rule: { alpha: 0.05, minNetworks: 6 },
  });
  // Only claim 1 is tested (a family of one, so Holm leaves its p as is).
  assert.ok(lenient[0].check.p! < 0.05 && lenient[0].check.pAdjusted === lenient[0].check.p);
  assert.equal(lenient[0].check.verdict, "reproduced");
  assert.equal(results[1].check.verdict, "unchecked");
  assert.equal(results[1].check.note, "no network has test_acc");
  const again = checkClaims(records, CLAIMS.slice(0, 1), { seed: 0, resamples: 500, permutations: 200 });
  assert.deepEqual(
    again[0].stats,
    results[0].stats,
    "other claims do not shift the seed",
  );
});

Deno.test("run names carry the training method; standard when absent", () => {
  assert.deepEqual(parseRunName("a0-s1-pgd"), { alpha: 0, seed: 1, method: "pgd" });
  assert.deepEqual(parseRunName("a-0.3-s2"), { alpha: -0.3, seed: 2, method: "standard" });
  assert.equal(parseRunName("a0-s1-fancy"), null);
});
