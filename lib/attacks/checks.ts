/**
 * Sanity checks of an attack evaluation (docs/method.md §5.5). Each check returns a {@link CheckResult} when it
 * passes and throws a {@link SanityCheckError} naming the check, the attack and ε when it fails, so a stage
 * that runs them fails loudly instead of reporting a broken evaluation.
 *
 * Checks and their tolerances:
 * - `eps-zero`: at ε = 0 the attack returns x exactly (max ‖δ‖ = 0) and robust accuracy equals clean accuracy
 *   exactly.
 * - `in-ball`: every ‖x_adv − x‖ ≤ ε + tol in the attack's norm (tol 1e-6 for L∞ since 8/255 is inexact in
 *   float32; 1e-5 + 1e-6·ε for L2, whose norm sums many float32 terms), x_adv ∈ [0, 1], and no NaN.
 * - `monotone-eps`: robust accuracy does not rise from one ε to the next larger one by more than
 *   `tolerance` (random starts and FGSM overshoot make small rises possible; see {@link effectiveTolerance}).
 * - `pgd-vs-fgsm`: at every ε, PGD's robust accuracy ≤ FGSM's + tolerance, per norm (a single-step attack beating
 *   an iterative one signals gradient masking or a broken PGD).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { type Norm, sampleNorm } from "./norms.ts";

/** A failed sanity check. */
export class SanityCheckError extends Error {
  constructor(readonly check: string, readonly attack: string, readonly eps: number | null, detail: string) {
    super(
      `sanity check '${check}' failed for attack ${attack}${
        eps === null ? "" : ` at eps ${eps}`
      }: ${detail}. ` +
        "The attack evaluation is not trustworthy; fix the attack or the model contract (docs/method.md §5.5).",
    );
    this.name = "SanityCheckError";
  }
}

/** A passed check, for the metrics file. */
export interface CheckResult {
  check: string;
  attack: string;
  eps: number | null;
  detail: string;
}

/** What an attack did to a set of samples (docs/method.md §5.4's run summary). */
export interface PerturbationStats {
  /** Largest ‖x_adv − x‖ in the attack's norm (NaN rows excluded). */
  maxNorm: number;
  /** Smallest and largest pixel of x_adv (NaN excluded). */
  min: number;
  max: number;
  /** Samples with a NaN anywhere in x_adv. */
  nanSamples: number;
  samples: number;
}

/**
 * Stats of one batch, queued on the device as [max ‖δ‖, min pixel, max pixel, NaN samples] and left unread
 * ({@link perturbationStatsOf} turns the values into stats), so that a caller reads it with other results.
 */
export function queuePerturbationStats(x: tf.Tensor4D, xAdv: tf.Tensor4D, norm: Norm): tf.Tensor1D {
  return tf.tidy(() => {
    const nan = tf.any(tf.isNaN(xAdv), [1, 2, 3]);
    const clean = tf.where(tf.isNaN(xAdv), x, xAdv);
    const norms = tf.reshape(sampleNorm(tf.sub(clean, x) as tf.Tensor4D, norm), [-1]);
    return tf.stack([
      tf.max(norms),
      tf.min(clean),
      tf.max(clean),
      tf.sum(tf.cast(nan, "float32")),
    ]) as tf.Tensor1D;
  });
}

/** The stats of `samples` samples from the values of {@link queuePerturbationStats}. */
export function perturbationStatsOf(values: ArrayLike<number>, samples: number): PerturbationStats {
  return { maxNorm: values[0], min: values[1], max: values[2], nanSamples: values[3], samples };
}

/** Stats of one batch, read. */
export async function perturbationStats(
  x: tf.Tensor4D,
  xAdv: tf.Tensor4D,
  norm: Norm,
): Promise<PerturbationStats> {
  const t = queuePerturbationStats(x, xAdv, norm);
  try {
    return perturbationStatsOf(await t.data(), x.shape[0]);
  } finally {
    t.dispose();
  }
}

/** Stats of two sample sets together. */
export function mergeStats(a: PerturbationStats, b: PerturbationStats): PerturbationStats {
  return {
    maxNorm: Math.max(a.maxNorm, b.maxNorm),
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
    nanSamples: a.nanSamples + b.nanSamples,
    samples: a.samples + b.samples,
  };
}

/** Allowed float excess of ‖δ‖ over ε (see the module doc). */
export function normTolerance(eps: number, norm: Norm): number {
  return norm === "linf" ? 1e-6 : 1e-5 + 1e-6 * eps;
}

/** `in-ball`: all perturbations within ε (+ tolerance), pixels in [0, 1], no NaN. */
export function checkInBall(attack: string, norm: Norm, eps: number, s: PerturbationStats): CheckResult {
  const fail = (detail: string) => {
    throw new SanityCheckError("in-ball", attack, eps, detail);
  };
  if (s.nanSamples > 0) fail(`${s.nanSamples} of ${s.samples} adversarial images contain NaN`);
  const bound = eps + normTolerance(eps, norm);
  if (!(s.maxNorm <= bound)) fail(`max ${norm} perturbation ${s.maxNorm} exceeds eps + tolerance = ${bound}`);
  if (!(s.min >= 0 && s.max <= 1)) fail(`adversarial pixels span [${s.min}, ${s.max}], outside [0, 1]`);
  return {
    check: "in-ball",
    attack,
    eps,
    detail: `max ${norm} ${s.maxNorm} <= ${bound}; pixels in [${s.min}, ${s.max}]`,
  };
}

/** `eps-zero`: at ε = 0 nothing moved and robust accuracy equals clean accuracy. */
export function checkEpsZero(
  attack: string,
  s: PerturbationStats,
  robustAccuracy: number,
  cleanAccuracy: number,
): CheckResult {
  if (s.maxNorm !== 0 || s.nanSamples !== 0) {
    throw new SanityCheckError("eps-zero", attack, 0, `x_adv differs from x (max norm ${s.maxNorm})`);
  }
  if (robustAccuracy !== cleanAccuracy) {
    throw new SanityCheckError(
      "eps-zero",
      attack,
      0,
      `robust accuracy ${robustAccuracy} differs from clean accuracy ${cleanAccuracy}`,
    );
  }
  return { check: "eps-zero", attack, eps: 0, detail: `x_adv = x; accuracy ${robustAccuracy} = clean` };
}

/** One point of an accuracy–ε curve. */
export interface CurvePoint {
  eps: number;
  accuracy: number;
}

/** The tolerance actually applied: `tolerance`, but at least one sample of `n` (1/n). */
export function effectiveTolerance(tolerance: number, n: number): number {
  return Math.max(tolerance, 1 / n);
}

/** `monotone-eps`: accuracy does not rise with ε by more than `tol` (an accuracy fraction). */
export function checkMonotone(attack: string, curve: CurvePoint[], tol: number): CheckResult {
  const sorted = [...curve].sort((a, b) => a.eps - b.eps);
  let worst = -Infinity;
  for (let i = 1; i < sorted.length; i++) {
    const rise = sorted[i].accuracy - sorted[i - 1].accuracy;
    worst = Math.max(worst, rise);
    if (rise > tol) {
      throw new SanityCheckError(
        "monotone-eps",
        attack,
        sorted[i].eps,
        `robust accuracy rose from ${sorted[i - 1].accuracy} at eps ${sorted[i - 1].eps} to ${
          sorted[i].accuracy
        } ` +
          `(tolerance ${tol})`,
      );
    }
  }
  return {
    check: "monotone-eps",
    attack,
    eps: null,
    detail: `largest rise ${sorted.length > 1 ? worst : 0} <= ${tol}`,
  };
}

/** `pgd-vs-fgsm`: the iterative attack's accuracy ≤ the single-step attack's + `tol` at every shared ε. */
export function checkStronger(
  strong: string,
  strongCurve: CurvePoint[],
  weak: string,
  weakCurve: CurvePoint[],
  tol: number,
): CheckResult {
  let worst = -Infinity;
  for (const p of strongCurve) {
    const q = weakCurve.find((w) => w.eps === p.eps);
    if (!q) continue;
    worst = Math.max(worst, p.accuracy - q.accuracy);
    if (p.accuracy > q.accuracy + tol) {
      throw new SanityCheckError(
        `${strong.split("-")[0]}-vs-${weak.split("-")[0]}`,
        strong,
        p.eps,
        `robust accuracy ${p.accuracy} is above ${weak}'s ${q.accuracy} (tolerance ${tol})`,
      );
    }
  }
  return {
    check: `${strong.split("-")[0]}-vs-${weak.split("-")[0]}`,
    attack: strong,
    eps: null,
    detail: `largest excess over ${weak}: ${Number.isFinite(worst) ? worst : "no shared eps"} <= ${tol}`,
  };
}
