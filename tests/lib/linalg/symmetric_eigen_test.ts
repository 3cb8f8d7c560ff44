import assert from "node:assert/strict";
import { symmetricEigenvalues } from "../../../lib/linalg/symmetric_eigen.ts";
import { Rng } from "../../../lib/random.ts";

function assertClose(actual: ArrayLike<number>, expected: number[], tol: number) {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `eigenvalue ${i}: ${actual[i]} vs ${expected[i]}`);
  }
}

/** Q·diag(λ)·Qᵀ with Q a product of random Householder reflections (an orthogonal matrix), row-major. */
function withSpectrum(lambda: number[], rng: Rng): Float64Array {
  const n = lambda.length;
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  for (let r = 0; r < 3; r++) {
    const v = Array.from({ length: n }, () => rng.normal());
    const vv = v.reduce((s, x) => s + x * x, 0);
    // Q ← (I − 2vvᵀ/vᵀv)·Q
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += v[i] * q[i * n + j];
      for (let i = 0; i < n; i++) q[i * n + j] -= (2 * v[i] * dot) / vv;
    }
  }
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += q[i * n + k] * lambda[k] * q[j * n + k];
      a[i * n + j] = s;
    }
  }
  return a;
}

Deno.test("hand-worked matrices", () => {
  assertClose(symmetricEigenvalues([2, 1, 1, 2], 2), [3, 1], 1e-14);
  // Tridiagonal Toeplitz (2, −1): λ_k = 2 − 2cos(kπ/4), k = 1..3.
  assertClose(
    symmetricEigenvalues([2, -1, 0, -1, 2, -1, 0, -1, 2], 3),
    [2 + Math.SQRT2, 2, 2 - Math.SQRT2],
    1e-14,
  );
  // A full 3×3: [[4,1,2],[1,3,0],[2,0,5]] has characteristic polynomial −λ³ + 12λ² − 42λ + 43 (hand expansion).
  const ev = symmetricEigenvalues([4, 1, 2, 1, 3, 0, 2, 0, 5], 3);
  for (const l of ev) assert.ok(Math.abs(-(l ** 3) + 12 * l ** 2 - 42 * l + 43) < 1e-11, `root ${l}`);
  assert.ok(Math.abs(ev[0] + ev[1] + ev[2] - 12) < 1e-13);
});

Deno.test("edge cases: empty, 1×1, zero, diagonal, repeated eigenvalues", () => {
  assert.equal(symmetricEigenvalues([], 0).length, 0);
  assertClose(symmetricEigenvalues([-3], 1), [-3], 0);
  assertClose(symmetricEigenvalues(new Float64Array(16), 4), [0, 0, 0, 0], 0);
  assertClose(symmetricEigenvalues([1, 0, 0, 0, -2, 0, 0, 0, 5], 3), [5, 1, -2], 1e-15);
  assertClose(symmetricEigenvalues(withSpectrum([2, 2, 2, 1, 1], new Rng(4)), 5), [2, 2, 2, 1, 1], 1e-13);
  assert.throws(() => symmetricEigenvalues([1, 2, 3], 2), /n×n/);
  assert.throws(() => symmetricEigenvalues([1, NaN, NaN, 1], 2), /entry/);
});

Deno.test("recovers a known spectrum of a random 60×60 symmetric matrix, incl. negative and zero eigenvalues", () => {
  const rng = new Rng(11);
  const lambda = Array.from({ length: 60 }, (_, i) => (i < 5 ? 0 : rng.normal() * 10)).sort((a, b) => b - a);
  assertClose(symmetricEigenvalues(withSpectrum(lambda, rng), 60), lambda, 1e-11);
});

Deno.test("exactly rank-deficient integer matrix (zero diagonal blocks after reduction) converges", () => {
  // uuᵀ + vvᵀ with orthogonal u, v: eigenvalues ‖u‖², ‖v‖², then zeros.
  const u = [1, 2, 0, -1, 0, 0, 3, 0], v = [2, -1, 0, 0, 0, 0, 0, 0];
  const a = u.flatMap((ui, i) => u.map((uj, j) => ui * uj + v[i] * v[j]));
  assertClose(symmetricEigenvalues(a, 8), [15, 5, 0, 0, 0, 0, 0, 0], 1e-13);
});
