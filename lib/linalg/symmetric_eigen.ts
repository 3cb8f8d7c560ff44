/**
 * Eigenvalues of a real symmetric matrix in float64 (tfjs has no eigendecomposition): Householder reduction to
 * tridiagonal form (in WebAssembly, lib/linalg/wasm_tridiagonal.ts), then the implicit QL algorithm with
 * Wilkinson-type shifts on the tridiagonal matrix, here (Golub & Van Loan, Matrix Computations, §8.3;
 * Wilkinson & Reinsch, Handbook, II/2 and II/4). Eigenvalues only, no eigenvectors: O(4/3·n³) for the
 * reduction plus O(n²) for QL.
 *
 * @module
 */
import { tridiagonalInput, tridiagonalizeLoaded } from "./wasm_tridiagonal.ts";

/** Most QL sweeps spent on one eigenvalue before giving up (convergence is normally 2–3 per eigenvalue). */
const MAX_SWEEPS = 64;

/**
 * Implicit QL with shifts on the tridiagonal matrix (d, e); `d` ends up holding the eigenvalues (unsorted).
 */
function tridiagonalQL(d: Float64Array, e: Float64Array): void {
  const n = d.length;
  // Off-diagonal elements below ε·‖T‖ are negligible (a backward-stable perturbation); the relative test alone
  // never deflates a tiny e[m] between two zero diagonal entries (rank-deficient matrices).
  let norm = 0;
  for (let i = 0; i < n; i++) {
    norm = Math.max(norm, Math.abs(d[i]) + Math.abs(e[i]) + (i > 0 ? Math.abs(e[i - 1]) : 0));
  }
  const negligible = Number.EPSILON * norm;
  for (let l = 0; l < n; l++) {
    for (let sweep = 0;; sweep++) {
      // Find the first negligible off-diagonal element at or after l: the block l..m splits off.
      let m = l;
      while (
        m < n - 1 && Math.abs(e[m]) > negligible &&
        Math.abs(e[m]) > Number.EPSILON * (Math.abs(d[m]) + Math.abs(d[m + 1]))
      ) m++;
      if (m === l) break;
      if (sweep === MAX_SWEEPS) throw new Error(`symmetric eigensolver: no convergence for eigenvalue ${l}`);
      // Shift: the eigenvalue of the leading 2×2 block closer to d[l].
      let g = (d[l + 1] - d[l]) / (2 * e[l]);
      let r = Math.hypot(g, 1);
      g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
      let s = 1, c = 1, p = 0;
      let i = m - 1;
      let deflated = false;
      for (; i >= l; i--) {
        const f = s * e[i];
        const b = c * e[i];
        r = Math.hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          // Underflow: the matrix splits here; undo the last update and restart the sweep.
          d[i + 1] -= p;
          e[m] = 0;
          deflated = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1] - p;
        r = (d[i] - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
      }
      if (deflated) continue;
      d[l] -= p;
      e[l] = g;
      e[m] = 0;
    }
  }
}

/**
 * All eigenvalues of the symmetric `n×n` matrix `a` (row-major; only read, a copy is worked on), sorted in
 * descending order. The input is symmetrised as (A + Aᵀ)/2 first, so small asymmetries from float32 products do
 * not matter.
 *
 * @example
 * symmetricEigenvalues(Float64Array.of(2, 1, 1, 2), 2); // Float64Array [3, 1]
 */
export function symmetricEigenvalues(a: ArrayLike<number>, n: number): Float64Array {
  if (!Number.isInteger(n) || n < 0 || a.length !== n * n) {
    throw new Error(`symmetricEigenvalues: need an n×n matrix, got ${a.length} entries for n = ${n}`);
  }
  const work = tridiagonalInput(n); // the reduction reads the lower triangle only
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const x = (a[i * n + j] + a[j * n + i]) / 2;
      if (!Number.isFinite(x)) {
        const [r, c] = Number.isFinite(a[i * n + j]) ? [j, i] : [i, j];
        throw new Error(`symmetricEigenvalues: entry (${r}, ${c}) is ${a[r * n + c]}`);
      }
      work[i * n + j] = x;
    }
  }
  const { d, e } = tridiagonalizeLoaded(n);
  tridiagonalQL(d, e);
  return d.sort().reverse();
}
