import * as tf from "@tensorflow/tfjs-core";
import assert from "node:assert/strict";
import { initBackend } from "../../../lib/backends/select.ts";
import { pcaEigenvalues } from "../../../lib/dimensionality/pca.ts";
import {
  dimensionalitiesOf,
  perturbationDimensionality,
  perturbationDimensionalityOf,
  perturbationMoments,
} from "../../../lib/dimensionality/measure.ts";
import { EigenPool } from "../../../lib/linalg/eigen_pool.ts";
import { spectrumDimensionality } from "../../../lib/dimensionality/spectrum.ts";
import { Rng } from "../../../lib/random.ts";

await initBackend("cpu");

/** N×D integer data of rank exactly k with zero column means: rows come in ± pairs of A·B, small entries. */
function rankK(n: number, d: number, k: number, seed: number): number[][] {
  const rng = new Rng(seed);
  const b = Array.from({ length: k }, () => Array.from({ length: d }, () => rng.int(7) - 3));
  const rows: number[][] = [];
  for (let i = 0; i < n / 2; i++) {
    const a = Array.from({ length: k }, () => rng.int(7) - 3);
    const row = b[0].map((_, j) => a.reduce((s, ai, r) => s + ai * b[r][j], 0));
    rows.push(row, row.map((v) => -v));
  }
  return rows;
}

Deno.test("hand-worked: four points (±1, ±1) have covariance diag(4/3, 4/3)", async () => {
  const lambda = await pcaEigenvalues(tf.tensor2d([[1, 1], [-1, -1], [1, -1], [-1, 1]]));
  assert.ok(Math.abs(lambda[0] - 4 / 3) < 1e-6 && Math.abs(lambda[1] - 4 / 3) < 1e-6, `${lambda}`);
  // Points on a line y = 2x + 5: one component with variance Var(x)·(1 + 4); Var(1, 2, 3) = 1.
  const line = await pcaEigenvalues(tf.tensor2d([[1, 7], [2, 9], [3, 11]]));
  assert.ok(Math.abs(line[0] - 5) < 1e-5 && Math.abs(line[1]) < 1e-5, `${line}`);
});

Deno.test("rank-k data gives exactly k components at τ = 1 − 1e-9, through the Gram (N < D) and covariance (N > D) paths", async () => {
  for (const [n, d, k] of [[16, 40, 3], [64, 12, 5], [32, 32, 1]]) {
    const x = tf.tensor2d(rankK(n, d, k, n + d));
    const [dim] = await dimensionalitiesOf([x], 1 - 1e-9);
    assert.equal(dim.components, k, `N=${n} D=${d} k=${k}`);
    assert.ok(dim.participationRatio <= k + 1e-9);
    x.dispose();
  }
});

Deno.test("Gram and covariance paths give the same non-zero eigenvalues as a float64 plain-loop covariance", async () => {
  const rng = new Rng(5);
  const rows = Array.from({ length: 10 }, () => Array.from({ length: 6 }, () => rng.normal() + 3));
  const cov = await pcaEigenvalues(tf.tensor2d(rows)); // N > D: covariance
  const gram = await pcaEigenvalues(tf.transpose(tf.tensor2d(rows)) as tf.Tensor2D); // 6 × 10: Gram
  // Reference: float64 covariance, eigenvalues via trace identities Σλ = tr C and Σλ² = ‖C‖²_F.
  const mean = rows[0].map((_, j) => rows.reduce((s, r) => s + r[j], 0) / rows.length);
  const c = mean.map((_, a) =>
    mean.map((_, b) => rows.reduce((s, r) => s + (r[a] - mean[a]) * (r[b] - mean[b]), 0) / (rows.length - 1))
  );
  const trace = c.reduce((s, row, i) => s + row[i], 0);
  const frob = c.flat().reduce((s, v) => s + v * v, 0);
  const sum = (xs: Float64Array) => xs.reduce((s, v) => s + v, 0);
  const sumSq = (xs: Float64Array) => xs.reduce((s, v) => s + v * v, 0);
  assert.ok(Math.abs(sum(cov) - trace) < 1e-4 * trace);
  assert.ok(Math.abs(sumSq(cov) - frob) < 1e-4 * frob);
  // The transposed matrix centres the other axis, so compare its own float64 reference.
  assert.equal(gram.length, 6);
  const t = rows[0].map((_, j) => rows.map((r) => r[j])); // 6 × 10
  const tMean = t[0].map((_, j) => t.reduce((s, r) => s + r[j], 0) / t.length);
  let tTrace = 0;
  for (const r of t) for (let j = 0; j < r.length; j++) tTrace += (r[j] - tMean[j]) ** 2 / (t.length - 1);
  assert.ok(Math.abs(sum(gram) - tTrace) < 1e-4 * tTrace);
});

Deno.test("isotropic Gaussian data: participation ratio ≈ dimension, 95% needs nearly all components", async () => {
  const rng = new Rng(2);
  const d = 8, n = 4000;
  const x = tf.tensor2d(Float32Array.from({ length: n * d }, () => rng.normal()), [n, d]);
  const [dim] = await dimensionalitiesOf([x], 0.95);
  // Sample-covariance eigenvalues spread by ~√(D/N); E[PR] ≈ D/(1 + D/N) = 7.98.
  assert.ok(Math.abs(dim.participationRatio - d) < 0.1, `${dim.participationRatio}`);
  assert.equal(dim.components, d);
  x.dispose();
});

Deno.test("perturbationDimensionality: ΔX of a rank-2 perturbation has 2 components; X_pert as measured directly", async () => {
  const clean = tf.tensor2d(rankK(32, 20, 6, 1));
  const delta = tf.tensor2d(rankK(32, 20, 2, 2));
  const pert = tf.add(clean, delta) as tf.Tensor2D;
  const [layer] = await perturbationDimensionality([clean], [pert], 1 - 1e-9);
  assert.equal(layer.delta.components, 2);
  assert.deepEqual(layer.perturbed, spectrumDimensionality(await pcaEigenvalues(pert), 1 - 1e-9));
  // In two phases, the eigensolves on workers: the same records.
  const pool = new EigenPool(2);
  try {
    const pending = await perturbationMoments([clean, pert], [pert, clean], true);
    const twoPhase = await perturbationDimensionalityOf(pending, 1 - 1e-9, pool);
    assert.deepEqual(twoPhase, await perturbationDimensionality([clean, pert], [pert, clean], 1 - 1e-9));
    assert.deepEqual(twoPhase[0], layer);
  } finally {
    pool.close();
  }
  tf.dispose([clean, delta, pert]);
});
