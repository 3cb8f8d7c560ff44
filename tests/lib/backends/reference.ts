/**
 * Test support: an untouched copy of the stock cpu backend ("cpu-ref") as the independent reference, plus
 * seeded inputs and error measures.
 *
 * The copy is taken when this module is evaluated, before any test replaces cpu kernels, so comparisons against
 * it stay valid whatever the other tests install on "cpu".
 */
import * as tf from "@tensorflow/tfjs-core";
import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";

/** The reference backend's name. */
export const REF = "cpu-ref";
if (!tf.findBackendFactory(REF)) {
  tf.copyRegisteredKernels("cpu", REF);
  tf.registerBackend(REF, () => new MathBackendCPU(), -1);
}

/** Deterministic values in [-1, 1) from a 32-bit LCG. */
export function seeded(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  });
}

/** max|a − b| / max|ref|: relative to the reference's scale, so tiny reference entries do not blow it up. */
export function relErr(ref: ArrayLike<number>, got: ArrayLike<number>): number {
  if (ref.length !== got.length) throw new Error(`length ${got.length} vs reference ${ref.length}`);
  let maxDiff = 0, maxRef = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(ref[i] - got[i]);
    maxDiff = Number.isNaN(d) ? Infinity : Math.max(maxDiff, d);
    maxRef = Math.max(maxRef, Math.abs(ref[i]));
  }
  return maxDiff / (maxRef || 1);
}

/** max|a − b|. */
export function absErr(ref: ArrayLike<number>, got: ArrayLike<number>): number {
  if (ref.length !== got.length) throw new Error(`length ${got.length} vs reference ${ref.length}`);
  let m = 0;
  for (let i = 0; i < ref.length; i++) {
    m = Math.max(m, Number.isNaN(got[i]) ? Infinity : Math.abs(ref[i] - got[i]));
  }
  return m;
}

/** Switches to `backend`, runs `fn`, reads every returned tensor with `await data()`, and disposes them. */
export async function runOn(backend: string, fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not initialise`);
  const ts = fn();
  const out: Float32Array[] = [];
  for (const t of ts) out.push(await t.data() as Float32Array);
  tf.dispose(ts);
  return out;
}
