/**
 * The attacks by name, with their settings, behind one call: {@link runAttack}. An attack is a method under a
 * norm, named `{method}-{norm}` (e.g. `pgd-linf`, `fgsm-l2`, `apgd-linf`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { apgd } from "./apgd.ts";
import { fgsm } from "./fgsm.ts";
import type { LogitsFn } from "./model.ts";
import { type Norm, NORMS } from "./norms.ts";
import { pgd } from "./pgd.ts";
import type { Tracking } from "./tracking.ts";

/** Attack methods: FGSM/FGM (one step), PGD (fixed step, random start, restarts), APGD-CE. */
export const METHODS = ["fgsm", "pgd", "apgd"] as const;
/** One of {@link METHODS}. */
export type Method = typeof METHODS[number];

/** Every attack name, `{method}-{norm}`. */
export const ATTACK_NAMES = METHODS.flatMap((m) => NORMS.map((n) => `${m}-${n}` as const));
/** One of {@link ATTACK_NAMES}. */
export type AttackName = typeof ATTACK_NAMES[number];

/** Method and norm of an attack name. */
export function parseAttackName(name: string): { method: Method; norm: Norm } {
  if (!(ATTACK_NAMES as readonly string[]).includes(name)) {
    throw new Error(`unknown attack '${name}': use one of ${ATTACK_NAMES.join(", ")}`);
  }
  const [method, norm] = name.split("-") as [Method, Norm];
  return { method, norm };
}

/** Settings shared by every run of an attack. */
export interface AttackSettings {
  pgd: {
    steps: number;
    /** α = stepFactor·ε/steps (docs/method.md §5: 2.5). */
    stepFactor: number;
    restarts: number;
    randomStart: boolean;
  };
  apgd: { steps: number };
  /** Seeds the random starts. */
  seed: number;
  /** The bookkeeping of PGD and APGD (tracking.ts); default: the one for the active backend. */
  tracking?: Tracking;
}

/**
 * Runs attack `name` at radius `eps` on one batch; `ids` identify the samples for the seeded starts. The caller
 * disposes the result.
 *
 * @example
 * const xAdv = await runAttack("pgd-linf", f, x, labels, 4 / 255, settings, ids);
 */
export function runAttack(
  name: AttackName,
  f: LogitsFn,
  x: tf.Tensor4D,
  labels: tf.Tensor1D,
  eps: number,
  settings: AttackSettings,
  ids: ArrayLike<number>,
): Promise<tf.Tensor4D> {
  const { method, norm } = parseAttackName(name);
  // Every iterate of every attack lies in the ball of radius ε around x, intersected with [0, 1]: at ε = 0 that
  // is x alone (norms.ts projects exactly), so there is nothing to run.
  if (eps === 0) return Promise.resolve(tf.clone(x));
  switch (method) {
    case "fgsm":
      return Promise.resolve(fgsm(f, x, labels, { eps, norm }));
    case "pgd": {
      const p = settings.pgd;
      return pgd(f, x, labels, {
        eps,
        norm,
        steps: p.steps,
        stepSize: p.stepFactor * eps / p.steps,
        randomStart: p.randomStart,
        restarts: p.restarts,
        seed: settings.seed,
        ids,
        tracking: settings.tracking,
      });
    }
    case "apgd":
      return apgd(f, x, labels, {
        eps,
        norm,
        steps: settings.apgd.steps,
        seed: settings.seed,
        ids,
        tracking: settings.tracking,
      });
  }
}
