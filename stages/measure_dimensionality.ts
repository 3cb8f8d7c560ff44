/**
 * Stage `measure-dimensionality`: representational dimensionality of one trained model per selectivity layer
 * (docs/method.md §6), measured by lib/dimensionality/evaluate.ts: PCA components reaching `variance_threshold`
 * of the variance and the participation ratio, of (a) clean representations X, (b) ΔX = X_corrupted − X_clean,
 * (c) ΔX of adversarial examples and (d) ΔX of corruptions rescaled per image to the first attack's input L2
 * norm (`match_norm`), on a fixed seeded class-stratified sample of test images (the same for every network and
 * condition). The dimensionality of X_pert itself is also reported (docs/method.md §6 step 5).
 *
 * Run: `deno run -A stages/measure_dimensionality.ts --alpha A --seed S [--backend B] [--threads N] [--data DIR]
 * [--models DIR] [--out DIR]`. Params, section `dim`:
 * - `n_samples` (2000, the paper's N; the rank ceiling is min(N − 1, features)); `seed` (0): seeds the sample,
 *   the feature subset and the corruptions.
 * - `representation`: `flatten` [default] | `spatial_mean`; `max_features` (32768; null = no cap): for `flatten`, a
 *   layer with more features keeps a seeded random subset of this many coordinates (lib/dimensionality).
 * - `variance_threshold` (0.95).
 * - `corruptions` (list of names) × `severities` (list of 1..5), generated as in corrupt-eval (stored as uint8).
 * - `attacks`: list of `{name, eps_linf_255}` (L∞ attacks, ε in units of 1/255 as in `attack.eps_linf_255`) or
 *   `{name, eps_l2}` (L2 attacks, pixel units); `pgd` (`steps`, `step_factor`, `restarts`, `random_start`),
 *   `apgd.steps`, `attack_seed`.
 * - `match_norm` (true): add the norm-matched corruption conditions (needs at least one attack).
 * - `perturbed_dims` (false): also the dimensionality of X_pert itself (docs/method.md §6 step 5, secondary).
 * - `batch_size` (128).
 *
 * Writes `{out}/a{A}-s{S}.json` (default outputs/dimensionality): metrics, and `rows`: one flat record per
 * (condition, measure, layer) for plots.
 *
 * @module
 */
import { z } from "zod";
import { ATTACK_NAMES, parseAttackName } from "../lib/attacks/registry.ts";
import { CORRUPTIONS } from "../lib/corruptions/registry.ts";
import { type DimAttack, measureDimensionality } from "../lib/dimensionality/evaluate.ts";
import { openRun, parseRunArgs, warmBackend, writeJson } from "./support/run_cli.ts";
import { sharedEigenPool } from "../lib/linalg/eigen_pool.ts";
import { apgdParams, attackSettings, pgdParams } from "./support/attack_params.ts";
import { parseSection, stageParams } from "./support/params.ts";
import { runStage, stageEntry } from "./support/entry.ts";
import { stageProgress } from "./support/progress.ts";
import { backendFacts, recordRunFacts } from "./support/run_facts.ts";

const STAGE = "measure-dimensionality";

const attackEntry = z.union([
  z.strictObject({ name: z.enum(ATTACK_NAMES), eps_linf_255: z.number().gt(0).max(255) }),
  z.strictObject({ name: z.enum(ATTACK_NAMES), eps_l2: z.number().gt(0) }),
]);

/** Schema of the `dim` section. */
export const dimSchema = z.strictObject({
  n_samples: z.number().int().min(2).default(2000),
  seed: z.number().int().default(0),
  representation: z.enum(["flatten", "spatial_mean"]).default("flatten"),
  max_features: z.number().int().positive().nullable().default(32768),
  variance_threshold: z.number().gt(0).max(1).default(0.95),
  corruptions: z.array(z.enum(CORRUPTIONS)).default(["gaussian_noise", "defocus_blur", "fog", "contrast"]),
  severities: z.array(z.number().int().min(1).max(5)).default([3]),
  attacks: z.array(attackEntry).default([{ name: "pgd-linf", eps_linf_255: 4 }]),
  match_norm: z.boolean().default(true),
  perturbed_dims: z.boolean().default(false),
  pgd: pgdParams(10),
  apgd: apgdParams(20),
  attack_seed: z.number().int().default(0),
  batch_size: z.number().int().positive().default(128),
});

/** Validated `dim` params. */
export type DimParams = z.infer<typeof dimSchema>;

/**
 * The attacks of the params in pixel units, with the ε label of condition ids; an L∞ attack needs
 * `eps_linf_255` and an L2 attack `eps_l2` (an error names the entry otherwise).
 */
export function dimAttacks(attacks: DimParams["attacks"]): DimAttack[] {
  return attacks.map((a, i) => {
    const { norm } = parseAttackName(a.name);
    if (norm === "linf" && "eps_linf_255" in a) {
      return { name: a.name, eps: a.eps_linf_255 / 255, label: `${a.eps_linf_255}/255` };
    }
    if (norm === "l2" && "eps_l2" in a) return { name: a.name, eps: a.eps_l2, label: `l2-${a.eps_l2}` };
    throw new Error(
      `${STAGE}: invalid params: dim.attacks.${i}: ${a.name} is an ${norm} attack; give its radius as ` +
        (norm === "linf" ? "eps_linf_255 (units of 1/255)" : "eps_l2 (pixel units)"),
    );
  });
}

/**
 * Readies a stage host before the stage: the backend (stages/support/run_cli.ts) and the eigensolvers' worker
 * threads (lib/linalg/eigen_pool.ts), which then serve every network the host measures.
 */
export async function warm(): Promise<void> {
  sharedEigenPool();
  await warmBackend();
}

/** The stage's entry point (stages/support/entry.ts): argv in, exit code out. */
export const main = stageEntry(async (argv) => {
  const started = performance.now();
  const args = parseRunArgs(STAGE, argv, {
    data: "outputs/data",
    models: "outputs/models",
    out: "outputs/dimensionality",
  });
  const p = parseSection(STAGE, stageParams(), "dim", dimSchema);
  const attacks = dimAttacks(p.attacks);
  const { info, data, model } = await openRun(args);
  const progress = stageProgress();
  const { result, timing } = await measureDimensionality(
    model,
    data.test,
    data.meta.shape,
    {
      nSamples: p.n_samples,
      seed: p.seed,
      representation: p.representation,
      maxFeatures: p.max_features,
      varianceThreshold: p.variance_threshold,
      corruptions: p.corruptions,
      severities: p.severities,
      attacks,
      matchNorm: p.match_norm,
      perturbedDims: p.perturbed_dims,
      attack: attackSettings(p.pgd, p.apgd, p.attack_seed),
      batchSize: p.batch_size,
    },
    (line) => console.log(`${STAGE} ${args.run}: ${line}`),
    (done, total, label) => progress.update(done, total, label),
    sharedEigenPool(), // kept for the next network in a stage host: starting workers costs the main thread
  );
  const seconds = (performance.now() - started) / 1000;
  const path = await writeJson(args.out, `${args.run}.json`, {
    run: args.run,
    alpha: Number(args.alpha),
    seed: Number(args.seed),
    dataset: data.meta.dataset,
    params: { dim: p },
    ...result,
  });
  await recordRunFacts({ ...backendFacts(info), time_s: { total: seconds, ...timing } });
  console.log(`${STAGE} ${args.run}: -> ${path} in ${seconds.toFixed(1)} s (${info.device})`);
});

if (import.meta.main) await runStage(main);
