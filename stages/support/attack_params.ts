/**
 * The params of the PGD and APGD attacks, shared by attack-eval and measure-dimensionality (which perturbs with
 * the same attacks); each stage picks its own default step count.
 *
 * @module
 */
import { z } from "zod";
import type { AttackSettings } from "../../lib/attacks/registry.ts";

/**
 * `pgd: {steps, step_factor, restarts, random_start}` (step α = step_factor·ε/steps), all optional.
 *
 * @example
 * ```ts
 * const schema = z.strictObject({ pgd: pgdParams(20) });
 * ```
 */
export function pgdParams(defaultSteps: number) {
  return z.strictObject({
    steps: z.number().int().positive().default(defaultSteps),
    /** Step α = step_factor·ε/steps. */
    step_factor: z.number().positive().default(2.5),
    restarts: z.number().int().positive().default(1),
    random_start: z.boolean().default(true),
  }).prefault({});
}

/** `apgd: {steps}`, optional. */
export function apgdParams(defaultSteps: number) {
  return z.strictObject({ steps: z.number().int().positive().default(defaultSteps) }).prefault({});
}

/**
 * The attack library's settings from the parsed `pgd` and `apgd` params and a seed for the random starts.
 *
 * @example
 * ```ts
 * const settings = attackSettings(p.pgd, p.apgd, deriveSeed(p.seed, "attack-starts"));
 * ```
 */
export function attackSettings(
  pgd: z.infer<ReturnType<typeof pgdParams>>,
  apgd: z.infer<ReturnType<typeof apgdParams>>,
  seed: number,
): AttackSettings {
  return {
    pgd: {
      steps: pgd.steps,
      stepFactor: pgd.step_factor,
      restarts: pgd.restarts,
      randomStart: pgd.random_start,
    },
    apgd: { steps: apgd.steps },
    seed,
  };
}
