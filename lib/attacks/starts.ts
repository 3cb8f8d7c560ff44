/**
 * Seeded random starting points for iterative attacks. Noise is drawn on the JavaScript side with
 * lib/random.ts, one generator per sample seeded by `deriveSeed(seed, purpose, restart, id)` where `id` is the
 * sample's identity (its index in the evaluated set), so a sample's start does not depend on the batch it is in
 * or on the backend.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { deriveSeed, Rng } from "../random.ts";
import type { Norm } from "./norms.ts";

/** How a start is distributed. */
export type StartKind =
  /** L∞: uniform in the ε-cube; L2: uniform in volume in the ε-ball (foolbox/ART convention). */
  | "ball"
  /** APGD (docs/method.md §5.2): L∞: x + ε·t/‖t‖∞ with t ~ U(−1, 1)ᵈ; L2: x + ε·t/‖t‖₂ with t ~ N(0, I). */
  | "apgd";

/** Identifies the random draws of one batch. */
export interface StartSeed {
  /** Base seed (the attack's seed param). */
  seed: number;
  /** Per-sample identities, length B (e.g. test-set indices). */
  ids: ArrayLike<number>;
  /** Restart number, 0 for the first run. */
  restart: number;
  /** Label separating attacks that should not share draws, e.g. "pgd-linf". */
  purpose: string;
}

/** One sample's perturbation, of L∞ or L2 size at most `eps`, as float64 for exact scaling. */
function sampleDelta(rng: Rng, size: number, eps: number, norm: Norm, kind: StartKind): Float64Array {
  const t = new Float64Array(size);
  if (norm === "linf") {
    let m = 0;
    for (let i = 0; i < size; i++) {
      t[i] = 2 * rng.uniform() - 1;
      m = Math.max(m, Math.abs(t[i]));
    }
    const s = kind === "ball" ? eps : m > 0 ? eps / m : 0;
    for (let i = 0; i < size; i++) t[i] *= s;
    return t;
  }
  let ss = 0;
  for (let i = 0; i < size; i++) {
    t[i] = rng.normal();
    ss += t[i] * t[i];
  }
  const radius = kind === "ball" ? eps * Math.pow(rng.uniform(), 1 / size) : eps;
  const s = ss > 0 ? radius / Math.sqrt(ss) : 0;
  for (let i = 0; i < size; i++) t[i] *= s;
  return t;
}

/**
 * A random point near each image of `x`: x + δ with ‖δ‖ ≤ eps in `norm`, clipped to [0, 1] (clipping keeps
 * it in the ball).
 *
 * @example
 * const x0 = randomStart(x, 8 / 255, "linf", "ball", { seed: 1, ids: [0, 1], restart: 0, purpose: "pgd-linf" });
 */
export function randomStart(
  x: tf.Tensor4D,
  eps: number,
  norm: Norm,
  kind: StartKind,
  s: StartSeed,
): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  if (s.ids.length !== b) throw new Error(`randomStart: ${s.ids.length} sample ids for a batch of ${b}`);
  const size = h * w * c;
  const noise = new Float32Array(b * size);
  for (let i = 0; i < b; i++) {
    const rng = new Rng(deriveSeed(s.seed, s.purpose, s.restart, s.ids[i]));
    noise.set(sampleDelta(rng, size, eps, norm, kind), i * size);
  }
  return tf.tidy(() => tf.clipByValue(tf.add(x, tf.tensor4d(noise, x.shape)), 0, 1) as tf.Tensor4D);
}
