/**
 * Turns per-sample attack outcomes into the metrics of an attack evaluation and runs the sanity checks of
 * lib/attacks/checks.ts on them (throwing on the first failure). Definitions are in lib/attacks/metrics.ts.
 *
 * @module
 */
import {
  checkEpsZero,
  checkInBall,
  checkMonotone,
  type CheckResult,
  checkStronger,
  type CurvePoint,
  effectiveTolerance,
} from "./checks.ts";
import type { AttackEvaluation } from "./evaluate.ts";
import { accuracyOf, allOf, curveArea } from "./metrics.ts";
import type { Norm } from "./norms.ts";
import { parseAttackName } from "./registry.ts";

/** One attack's accuracy–ε curve and run summary. */
export interface AttackCurve {
  norm: Norm;
  eps: number[];
  /** Robust accuracy at each eps. */
  accuracy: number[];
  /** Normalised area under the curve (lib/attacks/metrics.ts). */
  auc: number;
  /** Per eps: largest perturbation norm, pixel range, samples with NaN (docs/method.md §5.4). */
  stats: { eps: number; max_norm: number; min: number; max: number; nan_samples: number }[];
}

/** Metrics of an attack evaluation. */
export interface AttackReport {
  samples: number;
  clean_accuracy: number;
  attacks: Record<string, AttackCurve>;
  /** Per norm: a sample is robust at ε only if it survives every attack of that norm at ε. */
  worst_case: Partial<Record<Norm, { attacks: string[]; eps: number[]; accuracy: number[]; auc: number }>>;
  /** The sanity checks that ran, all passed. */
  checks: CheckResult[];
  /** The tolerance the accuracy comparisons used (see checks.ts). */
  tolerance: number;
}

/**
 * Metrics and passed checks of `ev`; throws a SanityCheckError when a check fails. `tolerance` is the allowed
 * accuracy excess of the `monotone-eps` and `{pgd,apgd}-vs-fgsm` checks (raised to one sample if smaller).
 *
 * @example
 * const report = buildReport(await evaluateAttacks(f, set, options), 0.005);
 */
export function buildReport(ev: AttackEvaluation, tolerance: number): AttackReport {
  const n = ev.clean.length;
  const tol = effectiveTolerance(tolerance, n);
  const clean = accuracyOf(ev.clean);
  const checks: CheckResult[] = [];
  const attacks: Record<string, AttackCurve> = {};
  for (const o of ev.outcomes) {
    const { norm } = parseAttackName(o.attack);
    checks.push(checkInBall(o.attack, norm, o.eps, o.stats));
    const acc = accuracyOf(o.robust);
    if (o.eps === 0) checks.push(checkEpsZero(o.attack, o.stats, acc, clean));
    const c = attacks[o.attack] ??= { norm, eps: [], accuracy: [], auc: NaN, stats: [] };
    c.eps.push(o.eps);
    c.accuracy.push(acc);
    c.stats.push({
      eps: o.eps,
      max_norm: o.stats.maxNorm,
      min: o.stats.min,
      max: o.stats.max,
      nan_samples: o.stats.nanSamples,
    });
  }
  const curve = (c: { eps: number[]; accuracy: number[] }): CurvePoint[] =>
    c.eps.map((eps, i) => ({ eps, accuracy: c.accuracy[i] }));
  for (const [name, c] of Object.entries(attacks)) {
    checks.push(checkMonotone(name, curve(c), tol));
    c.auc = curveArea(curve(c), clean);
  }
  const worst: AttackReport["worst_case"] = {};
  for (const norm of ["linf", "l2"] as const) {
    const names = Object.keys(attacks).filter((a) => attacks[a].norm === norm);
    if (names.length === 0) continue;
    const single = `fgsm-${norm}`;
    for (const iterative of [`pgd-${norm}`, `apgd-${norm}`]) {
      if (attacks[single] && attacks[iterative]) {
        checks.push(checkStronger(iterative, curve(attacks[iterative]), single, curve(attacks[single]), tol));
      }
    }
    const eps = attacks[names[0]].eps;
    const accuracy = eps.map((e) =>
      accuracyOf(
        allOf(ev.outcomes.filter((o) => names.includes(o.attack) && o.eps === e).map((o) => o.robust)),
      )
    );
    worst[norm] = {
      attacks: names,
      eps,
      accuracy,
      auc: curveArea(eps.map((e, i) => ({ eps: e, accuracy: accuracy[i] })), clean),
    };
  }
  return { samples: n, clean_accuracy: clean, attacks, worst_case: worst, checks, tolerance: tol };
}
