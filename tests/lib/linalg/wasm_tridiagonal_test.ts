import assert from "node:assert/strict";
import { tridiagonalInput, tridiagonalizeLoaded } from "../../../lib/linalg/wasm_tridiagonal.ts";
import { Rng } from "../../../lib/random.ts";

/**
 * The reduction as plain JavaScript over the full matrix (both triangles written): the code the wasm kernel
 * replaced, kept here as the oracle its bits must match.
 */
function tridiagonalizeReference(a: Float64Array, n: number): { d: Float64Array; e: Float64Array } {
  const d = new Float64Array(n), e = new Float64Array(n), v = new Float64Array(n), w = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    let norm2 = 0;
    for (let i = k + 1; i < n; i++) norm2 += a[i * n + k] ** 2;
    const x0 = a[(k + 1) * n + k];
    const alpha = x0 > 0 ? -Math.sqrt(norm2) : Math.sqrt(norm2);
    d[k] = a[k * n + k];
    const vNorm2 = norm2 - x0 * x0 + (x0 - alpha) ** 2;
    if (vNorm2 === 0) {
      e[k] = x0;
      continue;
    }
    e[k] = alpha;
    const scale = 1 / Math.sqrt(vNorm2);
    for (let i = k + 1; i < n; i++) v[i] = a[i * n + k] * scale;
    v[k + 1] = (x0 - alpha) * scale;
    let vp = 0;
    for (let i = k + 1; i < n; i++) {
      let s = 0;
      for (let j = k + 1; j < n; j++) s += a[i * n + j] * v[j];
      w[i] = s;
      vp += v[i] * s;
    }
    for (let i = k + 1; i < n; i++) w[i] -= vp * v[i];
    for (let i = k + 1; i < n; i++) {
      const vi = 2 * v[i], wi = 2 * w[i];
      for (let j = k + 1; j <= i; j++) {
        const x = a[i * n + j] - vi * w[j] - wi * v[j];
        a[i * n + j] = x;
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

/** A symmetric n×n matrix: a Gram matrix of `rank` random columns (rank < n gives exact zero columns). */
function gram(n: number, rank: number, rng: Rng): Float64Array {
  const b = Array.from({ length: n * rank }, () => rng.normal());
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < rank; k++) s += b[i * rank + k] * b[j * rank + k];
      a[i * n + j] = a[j * n + i] = s;
    }
  }
  return a;
}

function sameBits(actual: Float64Array, expected: Float64Array, what: string): void {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Object.is(actual[i], expected[i]), `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

Deno.test("the wasm reduction gives the plain loops' bits: odd and even sizes, full rank and rank-deficient", () => {
  const rng = new Rng(3);
  const cases: [number, number][] = [[0, 0], [1, 1], [2, 2], [3, 3], [4, 2], [5, 5], [17, 17], [64, 9], [
    65,
    65,
  ]];
  for (const [n, rank] of cases) {
    const a = gram(n, rank, rng);
    const input = tridiagonalInput(n);
    // Only the lower triangle is read: the upper one is garbage here.
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) input[i * n + j] = j <= i ? a[i * n + j] : NaN;
    const got = tridiagonalizeLoaded(n);
    const want = tridiagonalizeReference(a.slice(), n);
    sameBits(got.d, want.d, `n=${n} rank=${rank}: d`);
    sameBits(got.e, want.e, `n=${n} rank=${rank}: e`);
  }
});

Deno.test("integer matrices with already reduced columns (vᵀv = 0) and a memory grown for a larger matrix", () => {
  // diag(1, 2, 3) plus a coupling only between the last two: columns 0 and 1 need no reflection.
  const small = Float64Array.of(1, 0, 0, 0, 2, 4, 0, 4, 3);
  tridiagonalInput(3).set(small);
  const got = tridiagonalizeLoaded(3);
  const want = tridiagonalizeReference(small.slice(), 3);
  sameBits(got.d, want.d, "d");
  sameBits(got.e, want.e, "e");
  // 400×400 takes more than the initial memory (16 pages): the view is renewed on the grown buffer.
  const big = gram(400, 400, new Rng(8));
  tridiagonalInput(400).set(big);
  sameBits(tridiagonalizeLoaded(400).d, tridiagonalizeReference(big.slice(), 400).d, "400: d");
});

Deno.test("asking for a reduction larger than the loaded matrix names the fix", () => {
  assert.throws(() => tridiagonalizeLoaded(5000), /fill tridiagonalInput\(5000\) first/);
  assert.throws(() => tridiagonalInput(-1), /integer ≥ 0/);
});
