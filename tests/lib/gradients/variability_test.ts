import assert from "node:assert/strict";
import { gradientVariability } from "../../../lib/gradients/variability.ts";

const close = (a: number | null, b: number) =>
  assert.ok(a !== null && Math.abs(a - b) < 1e-12, `${a} vs ${b}`);

Deno.test("hand-worked CVs across samples and across units, zero-mean unit excluded", () => {
  // Units × samples.
  const s = [Float64Array.of(1, 3), Float64Array.of(2, 2), Float64Array.of(0, 0)];
  const v = gradientVariability(s);
  assert.equal(v.excluded_units, 1);
  // Unit 0: mean 2, std 1 → 0.5; unit 1: 0.
  close(v.across_samples.cv, 0.25);
  close(v.across_samples.std, 0.5);
  assert.deepEqual(v.across_samples.per_unit_cv, [0.5, 0, null]);
  // Sample 0: (1, 2): mean 1.5, std 0.5 → 1/3; sample 1: (3, 2): mean 2.5, std 0.5 → 0.2.
  close(v.across_units.cv, (1 / 3 + 0.2) / 2);
  close(v.across_units.std, 0.5);
  close(v.mean_norm, 2);
  assert.equal(v.across_units.samples_without_gradient, 0);
});

Deno.test("a sample without gradient on every kept unit is left out of the across-unit CV; an all-dead layer gives nulls", () => {
  const v = gradientVariability([Float64Array.of(2, 0), Float64Array.of(4, 0)]);
  assert.equal(v.across_units.samples_without_gradient, 1);
  close(v.across_units.cv, 1 / 3);
  // Both units: values (x, 0): CV 1.
  close(v.across_samples.cv, 1);
  const dead = gradientVariability([Float64Array.of(0, 0)]);
  assert.equal(dead.across_samples.cv, null);
  assert.equal(dead.across_units.cv, null);
  assert.equal(dead.mean_norm, null);
  assert.throws(() => gradientVariability([Float64Array.of(1), Float64Array.of(1, 2)]), /same/);
});
