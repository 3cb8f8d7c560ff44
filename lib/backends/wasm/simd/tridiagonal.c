/*
 * Householder reduction of a symmetric float64 matrix to tridiagonal form, for lib/linalg/symmetric_eigen.ts
 * (measure-dimensionality's PCA spectra): the loops of that file's former JavaScript, to the bit, about 2.5×
 * faster. Not a tfjs kernel: it runs on a memory of its own (lib/linalg/wasm_tridiagonal.ts), on one thread,
 * and takes no thread arguments.
 *
 * Same bits: every sum runs over the same indices in the same order as the JavaScript did, and f64x2 lanes
 * only ever hold two independent sums (rows i and i+1) or two independent elements; plain mul and add, no
 * fused multiply-add (the build passes -ffp-contract=off).
 *
 * Only the lower triangle (j <= i) is read and written. The matrix–vector product needs row i's entries right
 * of the diagonal; they are a[j][i] (j > i), and for rows i and i+1 the pair a[j][i], a[j][i+1] is one
 * contiguous load.
 */
#include "common.h"

/*
 * Reduces the lower triangle of the n×n row-major matrix a (overwritten) to the tridiagonal (d, e): d[i] the
 * diagonal, e[i] couples d[i] and d[i+1], e[n-1] = 0. v and w are scratch of n doubles.
 * H = I − 2vvᵀ reflects x = a[k+1.., k] onto α·e₁, α = −sign(x₀)‖x‖, v = (x − α·e₁)/‖x − α·e₁‖; the trailing
 * block B becomes HBH = B − 2(v·wᵀ + w·vᵀ) with p = Bv, w = p − (vᵀp)·v.
 */
EXPORT(tridiagonalize)
void tridiagonalize(double *a, int n, double *d, double *e, double *v, double *w) {
  for (int k = 0; k < n - 2; k++) {
    double norm2 = 0;
    for (int i = k + 1; i < n; i++) norm2 += a[i * n + k] * a[i * n + k];
    const double x0 = a[(k + 1) * n + k];
    const double alpha = x0 > 0 ? -__builtin_sqrt(norm2) : __builtin_sqrt(norm2);
    d[k] = a[k * n + k];
    const double v0 = x0 - alpha;
    const double vNorm2 = norm2 - x0 * x0 + v0 * v0;
    if (vNorm2 == 0) {
      e[k] = x0; /* the column is already reduced */
      continue;
    }
    e[k] = alpha;
    const double scale = 1 / __builtin_sqrt(vNorm2);
    for (int i = k + 1; i < n; i++) v[i] = a[i * n + k] * scale;
    v[k + 1] = v0 * scale;

    double vp = 0;
    int i = k + 1;
    for (; i + 1 < n; i += 2) {
      const double *r0 = a + i * n, *r1 = r0 + n;
      vf s = wasm_f64x2_splat(0);
      for (int j = k + 1; j <= i; j++) {
        s = wasm_f64x2_add(s, wasm_f64x2_mul(wasm_f64x2_make(r0[j], r1[j]), wasm_f64x2_splat(v[j])));
      }
      /* j = i + 1: row i's entry is a[i+1][i] */
      s = wasm_f64x2_add(s, wasm_f64x2_mul(wasm_f64x2_make(r1[i], r1[i + 1]), wasm_f64x2_splat(v[i + 1])));
      for (int j = i + 2; j < n; j++) {
        s = wasm_f64x2_add(s, wasm_f64x2_mul(wasm_v128_load(a + j * n + i), wasm_f64x2_splat(v[j])));
      }
      const double s0 = wasm_f64x2_extract_lane(s, 0), s1 = wasm_f64x2_extract_lane(s, 1);
      w[i] = s0;
      vp += v[i] * s0;
      w[i + 1] = s1;
      vp += v[i + 1] * s1;
    }
    for (; i < n; i++) {
      double s = 0;
      for (int j = k + 1; j <= i; j++) s += a[i * n + j] * v[j];
      for (int j = i + 1; j < n; j++) s += a[j * n + i] * v[j];
      w[i] = s;
      vp += v[i] * s;
    }
    for (int i = k + 1; i < n; i++) w[i] -= vp * v[i];

    for (int i = k + 1; i < n; i++) {
      double *row = a + i * n;
      const double vi = 2 * v[i], wi = 2 * w[i];
      const vf vv = wasm_f64x2_splat(vi), wv = wasm_f64x2_splat(wi);
      int j = k + 1;
      for (; j + 1 <= i; j += 2) {
        const vf x = wasm_f64x2_sub(wasm_f64x2_sub(wasm_v128_load(row + j), wasm_f64x2_mul(vv, wasm_v128_load(w + j))),
                                    wasm_f64x2_mul(wv, wasm_v128_load(v + j)));
        wasm_v128_store(row + j, x);
      }
      for (; j <= i; j++) row[j] = row[j] - vi * w[j] - wi * v[j];
    }
  }
  if (n >= 2) {
    d[n - 2] = a[(n - 2) * n + n - 2];
    e[n - 2] = a[(n - 1) * n + n - 2];
  }
  if (n >= 1) {
    d[n - 1] = a[n * n - 1];
    e[n - 1] = 0;
  }
}
