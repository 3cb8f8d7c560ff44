import assert from "node:assert/strict";
import { spectrumDimensionality } from "../../../lib/dimensionality/spectrum.ts";

Deno.test("components at a threshold: smallest k whose cumulative share reaches τ", () => {
  // Shares 0.5, 0.3, 0.15, 0.05 → cumulative 0.5, 0.8, 0.95, 1.
  const lambda = [3, 10, 1, 6]; // order does not matter
  assert.equal(spectrumDimensionality(lambda, 0.5).components, 1);
  assert.equal(spectrumDimensionality(lambda, 0.51).components, 2);
  assert.equal(spectrumDimensionality(lambda, 0.8).components, 2);
  assert.equal(spectrumDimensionality(lambda, 0.9).components, 3);
  assert.equal(spectrumDimensionality(lambda, 1).components, 4);
  assert.equal(spectrumDimensionality(lambda).totalVariance, 20);
});

Deno.test("participation ratio: D for equal eigenvalues, 1 for one, (Σλ)²/Σλ² in general; round-off negatives are 0", () => {
  assert.equal(spectrumDimensionality([2, 2, 2, 2, 2]).participationRatio, 5);
  assert.equal(spectrumDimensionality([7, 0, 0]).participationRatio, 1);
  assert.ok(Math.abs(spectrumDimensionality([4, 1]).participationRatio - 25 / 17) < 1e-15);
  assert.deepEqual(spectrumDimensionality([1, -1e-17], 1), {
    components: 1,
    participationRatio: 1,
    totalVariance: 1,
  });
});

Deno.test("zero variance gives 0 components; bad thresholds and NaN are errors", () => {
  assert.deepEqual(spectrumDimensionality([0, 0]), {
    components: 0,
    participationRatio: 0,
    totalVariance: 0,
  });
  assert.throws(() => spectrumDimensionality([1], 0), /threshold/);
  assert.throws(() => spectrumDimensionality([1], 1.5), /threshold/);
  assert.throws(() => spectrumDimensionality([NaN]), /NaN/);
});
