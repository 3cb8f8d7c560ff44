/**
 * The Householder tridiagonalization of lib/backends/wasm/simd/tridiagonal.c, run on a WebAssembly memory of
 * this module's own (one per thread that uses it): the O(n³) part of {@link symmetricEigenvalues}, about 2.5×
 * the speed of the same loops in JavaScript, with the same bits (tests/lib/linalg/wasm_tridiagonal_test.ts).
 *
 * The code is in our SIMD module (simd_kernels_plain.wasm, built from C by `deno task build:simd`), which
 * imports its memory and owns none of it: this module makes a memory, puts the stack at its bottom and the
 * matrix above it, and grows it for larger matrices.
 *
 * @module
 */
import { simdModule } from "../backends/wasm/simd_pool.ts";

/** Bytes of the C code's stack, at the bottom of the memory. */
const STACK_BYTES = 1 << 16;
const PAGE = 1 << 16;

interface Instance {
  memory: WebAssembly.Memory;
  tridiagonalize: (a: number, n: number, d: number, e: number, v: number, w: number) => void;
}

let instance: Instance | null = null;

function loaded(): Instance {
  if (!instance) {
    const memory = new WebAssembly.Memory({ initial: 16 });
    const { exports } = new WebAssembly.Instance(simdModule(false).module, { env: { memory } });
    (exports.__stack_pointer as WebAssembly.Global).value = STACK_BYTES;
    instance = { memory, tridiagonalize: exports.tridiagonalize as Instance["tridiagonalize"] };
  }
  return instance;
}

/** Where the buffers of an `n×n` problem lie in the memory, and the bytes they end at. */
function layout(n: number): { a: number; d: number; e: number; v: number; w: number; end: number } {
  const a = STACK_BYTES, d = a + 8 * n * n, e = d + 8 * n, v = e + 8 * n, w = v + 8 * n;
  return { a, d, e, v, w, end: w + 8 * n };
}

/**
 * A float64 view of `n×n` entries in the module's memory, for the caller to fill with a symmetric matrix
 * (only the lower triangle, j ≤ i, is read) before {@link tridiagonalizeLoaded}. Any earlier view is stale.
 *
 * @example
 * const a = tridiagonalInput(2);
 * a.set([2, 1, 1, 2]);
 * const { d, e } = tridiagonalizeLoaded(2); // d = [2, 2], e = [1, 0]
 */
export function tridiagonalInput(n: number): Float64Array {
  if (!Number.isInteger(n) || n < 0) throw new Error(`tridiagonalInput: n must be an integer ≥ 0, got ${n}`);
  const { memory } = loaded();
  const need = layout(n).end;
  if (need > memory.buffer.byteLength) memory.grow(Math.ceil((need - memory.buffer.byteLength) / PAGE));
  return new Float64Array(memory.buffer, STACK_BYTES, n * n);
}

/**
 * Reduces the matrix the last {@link tridiagonalInput}`(n)` view holds to tridiagonal form (overwriting it):
 * the diagonal `d` and the off-diagonal `e` (`e[i]` couples `d[i]` and `d[i+1]`, `e[n-1]` = 0), as copies.
 */
export function tridiagonalizeLoaded(n: number): { d: Float64Array; e: Float64Array } {
  const { memory, tridiagonalize } = loaded();
  const at = layout(n);
  if (at.end > memory.buffer.byteLength) {
    throw new Error(`tridiagonalizeLoaded: no ${n}×${n} matrix loaded; fill tridiagonalInput(${n}) first`);
  }
  tridiagonalize(at.a, n, at.d, at.e, at.v, at.w);
  return {
    d: new Float64Array(memory.buffer, at.d, n).slice(),
    e: new Float64Array(memory.buffer, at.e, n).slice(),
  };
}
