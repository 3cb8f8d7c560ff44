/** Tiny classifiers with closed-form input gradients, and reference math in float64, for the attack tests. */
import * as tf from "@tensorflow/tfjs-core";
import type { LogitsFn } from "../../../lib/attacks/model.ts";
import { initBackend } from "../../../lib/backends/select.ts";
import { Rng } from "../../../lib/random.ts";

/** The pure-JS cpu backend: exact enough for closed-form comparisons. */
export async function useCpu(): Promise<void> {
  await initBackend("cpu");
}

/** A linear softmax classifier: logits = W·flatten(x) + b, W is K × D. */
export interface Linear {
  w: number[][];
  b: number[];
  f: LogitsFn;
}

/** A linear classifier with the given weights. */
export function linear(w: number[][], b: number[]): Linear {
  const wt = tf.transpose(tf.tensor2d(w));
  const bias = tf.tensor1d(b);
  const d = w[0].length;
  const f: LogitsFn = (x) => tf.add(tf.matMul(tf.reshape(x, [-1, d]), wt), bias) as tf.Tensor2D;
  return { w, b, f };
}

/** ∇ₓ CE of the linear model at x (float64): Σₖ pₖ wₖ − w_y. */
export function linearGradient(m: Linear, x: ArrayLike<number>, y: number): number[] {
  const z = m.w.map((row, k) => row.reduce((s, wi, i) => s + wi * x[i], m.b[k]));
  const zmax = Math.max(...z);
  const e = z.map((v) => Math.exp(v - zmax));
  const sum = e.reduce((a, v) => a + v, 0);
  const p = e.map((v) => v / sum);
  return m.w[0].map((_, i) => m.w.reduce((s, row, k) => s + (p[k] - (k === y ? 1 : 0)) * row[i], 0));
}

/** `n` seeded uniform numbers in [lo, hi). */
export function uniforms(n: number, seed: number, lo = 0, hi = 1): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => lo + (hi - lo) * rng.uniform());
}

/** Rows of a [B, ...] tensor as float arrays. */
export async function rows(t: tf.Tensor): Promise<number[][]> {
  const b = t.shape[0];
  const v = Array.from(await t.data());
  const size = v.length / b;
  return Array.from({ length: b }, (_, i) => v.slice(i * size, (i + 1) * size));
}

/** Asserts |a − b| ≤ tol elementwise. */
export function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  if (a.length !== b.length) throw new Error(`${what}: lengths ${a.length} vs ${b.length}`);
  for (let i = 0; i < a.length; i++) {
    if (!(Math.abs(a[i] - b[i]) <= tol)) {
      throw new Error(`${what}: element ${i}: ${a[i]} vs ${b[i]} (tol ${tol})`);
    }
  }
}

/**
 * A bumpy 3-class model on 2×2×1 images: z_c = 4·sin(6·⟨w_c, x⟩ + c); random starts decide what PGD finds,
 * and samples break at different steps. Call after the backend is set.
 */
export function bumpyModel(): LogitsFn {
  const w = tf.tensor2d([[1, -2, 3, 0.5], [-1, 2, 0.5, 3], [2, 1, -3, 1]]);
  const phase = tf.tensor1d([0, 1, 2]);
  return (x: tf.Tensor4D) =>
    tf.tidy(() =>
      tf.mul(tf.sin(tf.add(tf.mul(tf.matMul(tf.reshape(x, [-1, 4]), w, false, true), 6), phase)), 4)
    ) as tf.Tensor2D;
}
