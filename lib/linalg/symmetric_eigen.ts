/**
 * Eigenvalues of a real symmetric matrix in float64 JavaScript (tfjs has no eigendecomposition): Householder
 * reduction to tridiagonal form, then the implicit QL algorithm with Wilkinson-type shifts on the tridiagonal
 * matrix (Golub & Van Loan, Matrix Computations, §8.3; Wilkinson & Reinsch, Handbook, II/2 and II/4).
 * Eigenvalues only, no eigenvectors: O(4/3·n³) for the reduction plus O(n²) for QL.
 *
 * @module
 */

/** Most QL sweeps spent on one eigenvalue before giving up (convergence is normally 2–3 per eigenvalue). */
const MAX_SWEEPS = 64;

/**
 * Reduces the symmetric `n×n` row-major matrix `a` (overwritten) to tridiagonal form by Householder
 * reflections. Returns the diagonal `d` (length n) and the off-diagonal `e` (length n; `e[i]` couples `d[i]` and
 * `d[i+1]`, `e[n-1]` = 0).
 */
function tridiagonalize(a: Float64Array, n: number): { d: Float64Array; e: Float64Array } {
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  const v = new Float64Array(n);
  const w = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    // Reflect x = a[k+1.., k] onto α·e₁ with H = I − 2vvᵀ, v = (x − α·e₁)/‖x − α·e₁‖, α = −sign(x₀)‖x‖.
    let norm2 = 0;
    for (let i = k + 1; i < n; i++) norm2 += a[i * n + k] ** 2;
    const x0 = a[(k + 1) * n + k];
    const alpha = x0 > 0 ? -Math.sqrt(norm2) : Math.sqrt(norm2);
    d[k] = a[k * n + k];
    const vNorm2 = norm2 - x0 * x0 + (x0 - alpha) ** 2;
    if (vNorm2 === 0) {
      e[k] = x0; // the column is already reduced
      continue;
    }
    e[k] = alpha;
    const scale = 1 / Math.sqrt(vNorm2);
    for (let i = k + 1; i < n; i++) v[i] = a[i * n + k] * scale;
    v[k + 1] = (x0 - alpha) * scale;
    // Trailing block B ← HBH = B − 2(v·wᵀ + w·vᵀ) with p = Bv, w = p − (vᵀp)·v.
    let vp = 0;
    for (let i = k + 1; i < n; i++) {
      let s = 0;
      const row = i * n;
      for (let j = k + 1; j < n; j++) s += a[row + j] * v[j];
      w[i] = s;
      vp += v[i] * s;
    }
    for (let i = k + 1; i < n; i++) w[i] -= vp * v[i];
    for (let i = k + 1; i < n; i++) {
      const row = i * n;
      const vi = 2 * v[i], wi = 2 * w[i];
      for (let j = k + 1; j <= i; j++) {
        const x = a[row + j] - vi * w[j] - wi * v[j];
        a[row + j] = x;
        a[j * n + i] = x;
      }
    }
  }
  if (n >= 2) {
    d[n - 2] = a[(n - 2) * n + n - 2];
    e[n - 2] = a[(n - 1) * n + n - 2];
  }
  if (n >= 1) d[n - 1] = a[n * n - 1];
  return { d, e };
}

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
  const work = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const x = (a[i * n + j] + a[j * n + i]) / 2;
      if (!Number.isFinite(x)) throw new Error(`symmetricEigenvalues: entry (${i}, ${j}) is ${a[i * n + j]}`);
      work[i * n + j] = x;
    }
  }
  const { d, e } = tridiagonalize(work, n);
  tridiagonalQL(d, e);
  return d.sort().reverse();
}
