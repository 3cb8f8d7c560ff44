/**
 * Stage `attack-eval`: white-box adversarial robustness of one trained model (docs/method.md §5, docs/method.md
 * §9–13). Attacks a seeded stratified subset (or all) of the prepared test split with every configured attack
 * at every ε of its norm, runs the sanity checks (the stage fails if one fails), and writes the metrics.
 *
 * Run: `deno run -A stages/attack_eval.ts --alpha A --seed S [--backend B] [--threads N] [--data DIR]
 * [--models DIR] [--out DIR]`. Params (section `attack`) come from the runner, or params.yaml by hand.
 * Defaults: data `outputs/data`, models `outputs/models`, out `outputs/attack`.
 *
 * Reads `{models}/a{A}-s{S}/` (lib/models/io.ts) and the prepared data; writes
 * - `{out}/a{A}-s{S}.json`: clean and robust accuracy per attack and ε, normalised area under each
 *   accuracy–ε curve, per-norm worst case over attacks, perturbation stats, the passed checks and the
 *   example images' ids, labels and predictions (timing, backend and the attacks' bookkeeping of
 *   lib/attacks/tracking.ts go to the run record: stages/support/run_facts.ts);
 * - `{out}/a{A}-s{S}.png`: example images, one row per sample: clean | each attack at its largest ε.
 *
 * Backend: `--backend`, else env `PIPELINE_BACKEND`, else `auto`; threads: `--threads`, else
 * `PIPELINE_THREADS`. Neither is a param, so the backend does not change the stage fingerprint.
 *
 * @module
 */
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { z } from "zod";
import { stageParams } from "./support/params.ts";
import { runStage, stageEntry } from "./support/entry.ts";
import { stageProgress } from "./support/progress.ts";
import { backendFacts, perSecond, recordRunFacts } from "./support/run_facts.ts";
import { openRun, parseRunArgs } from "./support/run_cli.ts";
import { apgdParams, attackSettings, pgdParams } from "./support/attack_params.ts";
import { stratifiedSample } from "../lib/data/split.ts";
import { deriveSeed } from "../lib/random.ts";
import { evaluateAttacks } from "../lib/attacks/evaluate.ts";
import { exampleGridPng } from "../lib/attacks/examples.ts";
import { inferenceLogits } from "../lib/attacks/model.ts";
import { ATTACK_NAMES, parseAttackName } from "../lib/attacks/registry.ts";
import { buildReport } from "../lib/attacks/report.ts";
import { trackingFor } from "../lib/attacks/tracking.ts";
import { iterationGraphTally } from "../lib/attacks/iteration_graph.ts";

const epsGrid = z.array(z.number().min(0)).refine(
  (a) => new Set(a).size === a.length,
  "values must be distinct",
);

/** Schema of the `attack` params. */
export const attackParamsSchema = z.strictObject({
  /** Attack names `{fgsm,pgd,apgd}-{linf,l2}`. */
  attacks: z.array(z.enum(ATTACK_NAMES)).min(1),
  /** L∞ radii in units of 1/255 (pixels in [0, 1]). */
  eps_linf_255: epsGrid.default([0, 0.5, 1, 2, 4, 8]),
  /** L2 radii in pixel units ([0, 1] scale). */
  eps_l2: epsGrid.default([0, 0.125, 0.25, 0.5, 1]),
  pgd: pgdParams(20),
  apgd: apgdParams(100),
  /** Test images to attack: null = the whole test split, else a seeded stratified subset of this size. */
  n_examples: z.number().int().positive().nullable().default(null),
  batch_size: z.number().int().positive().default(250),
  /** Seeds the subset and the random starts (the same for every model, so models see the same draws). */
  seed: z.number().int().default(0),
  /** Allowed accuracy rise with ε, and of PGD/APGD over FGSM (at least one sample). */
  tolerance: z.number().min(0).max(1).default(0.005),
  /** Example images in the PNG. */
  example_images: z.number().int().min(0).default(8),
});

/** Validated `attack` params. */
export type AttackParams = z.infer<typeof attackParamsSchema>;

/** Validates the stage's params; errors name the key as `attack.<key>`. */
export function parseAttackParams(params: Record<string, unknown>): AttackParams {
  const parsed = attackParamsSchema.safeParse(params.attack);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) =>
      `attack${i.path.map((p) => `.${String(p)}`).join("")}: ${i.message}`
    );
    throw new Error(`attack-eval: invalid params: ${issues.join("; ")}`);
  }
  const p = parsed.data;
  for (const norm of new Set(p.attacks.map((a) => parseAttackName(a).norm))) {
    const key = norm === "linf" ? "eps_linf_255" : "eps_l2";
    if (!p[key].some((e) => e > 0)) {
      throw new Error(`attack-eval: invalid params: attack.${key} needs an eps > 0 for the ${norm} attacks`);
    }
  }
  if (p.pgd.restarts > 1 && !p.pgd.random_start) {
    throw new Error(
      "attack-eval: invalid params: attack.pgd.restarts > 1 needs attack.pgd.random_start: true",
    );
  }
  return p;
}

/** Parses the command line and the backend environment (`PIPELINE_BACKEND`, `PIPELINE_THREADS`). */
export function parseAttackArgs(args: string[], env: { get(k: string): string | undefined } = Deno.env) {
  return parseRunArgs("attack-eval", args, {
    data: "outputs/data",
    models: "outputs/models",
    out: "outputs/attack",
  }, env);
}

/** Readies the backend in a stage host before the stage (stages/support/run_cli.ts). */
export { warmBackend as warm } from "./support/run_cli.ts";

/** The stage's entry point (stages/support/entry.ts): argv in, exit code out. */
export const main = stageEntry(async (argv) => {
  const started = performance.now();
  const args = parseAttackArgs(argv);
  const p = parseAttackParams(stageParams());
  const run = args.run;
  const { info: backend, data, model } = await openRun(args);
  const test = data.test;
  const indices = p.n_examples === null
    ? Uint32Array.from({ length: test.n }, (_, i) => i)
    : stratifiedSample(test.labels, p.n_examples, deriveSeed(p.seed, "attack-subset"));
  const eps = { linf: p.eps_linf_255.map((e) => e / 255), l2: p.eps_l2 };
  console.log(`${run}: ${indices.length} test images, ${p.attacks.join(", ")} on ${backend.device}`);
  const tracking = trackingFor(tf.getBackend());
  console.log(`${run}: ${tracking.tracking} bookkeeping (${tracking.reason})`);
  const progress = stageProgress();
  const graphsBefore = iterationGraphTally();
  const ev = await evaluateAttacks(inferenceLogits(model), { ...test, indices }, {
    attacks: p.attacks,
    eps,
    settings: attackSettings(p.pgd, p.apgd, deriveSeed(p.seed, "attack-starts")),
    batchSize: p.batch_size,
    examples: p.example_images,
    onBatch: (done, total) => console.log(`${run}: ${done}/${total} images attacked`),
    onRun: (done, total, r) => progress.update(done, total, `${r.attack} ε ${epsLabel(r.attack, r.eps)}`),
  });
  const attackSeconds: Record<string, number> = {}, attackImages: Record<string, number> = {};
  for (const o of ev.outcomes) {
    attackSeconds[o.attack] = (attackSeconds[o.attack] ?? 0) + o.seconds;
    attackImages[o.attack] = (attackImages[o.attack] ?? 0) + o.robust.length;
  }
  const report = buildReport(ev, p.tolerance);
  for (const [name, c] of Object.entries(report.attacks)) {
    const pts = c.eps.map((e, i) =>
      `${c.norm === "linf" ? `${+(e * 255).toFixed(3)}/255` : e}: ${c.accuracy[i].toFixed(3)}`
    );
    console.log(
      `${run} ${name}: ${pts.join(", ")} | auc ${c.auc.toFixed(4)} (${attackSeconds[name].toFixed(1)} s)`,
    );
  }
  await Deno.mkdir(args.out, { recursive: true });
  const png = `${run}.png`;
  if (ev.examples.ids.length > 0) {
    await Deno.writeFile(join(args.out, png), exampleGridPng(ev.examples, test.shape));
  }
  const metrics = {
    run,
    alpha: Number(args.alpha),
    seed: Number(args.seed),
    dataset: data.meta.dataset,
    ...report,
    params: p,
    examples: {
      png: ev.examples.ids.length > 0 ? png : null,
      columns: ["clean", ...ev.examples.attacks.map((a) => `${a.attack}@${a.eps}`)],
      test_indices: ev.examples.ids,
      labels: ev.examples.labels,
      predictions: [ev.examples.clean.predictions, ...ev.examples.attacks.map((a) => a.predictions)],
    },
  };
  await Deno.writeTextFile(join(args.out, `${run}.json`), JSON.stringify(metrics, null, 2) + "\n");
  const wallSeconds = (performance.now() - started) / 1000;
  await recordRunFacts({
    ...backendFacts(backend),
    attack_tracking: tracking,
    // PGD's and APGD's iterations: captured, replayed (step graphs, webgpu) and run through tfjs.
    attack_graphs: iterationGraphTally(graphsBefore),
    wall_seconds: wallSeconds,
    attack_seconds: attackSeconds,
    // Images attacked (at one radius, with the evaluation of the result) per second, by attack.
    images_per_sec: Object.fromEntries(
      Object.entries(attackSeconds).map(([a, seconds]) => [a, perSecond(attackImages[a], seconds)]),
    ),
  });
  console.log(
    `${run}: clean ${report.clean_accuracy.toFixed(4)}, ${report.checks.length} checks passed, ` +
      `${wallSeconds.toFixed(1)} s -> ${join(args.out, `${run}.json`)}`,
  );
});

/** ε as shown: L∞ radii in 1/255 units, L2 radii as they are. */
function epsLabel(attack: string, eps: number): string {
  return attack.endsWith("-linf") ? `${+(eps * 255).toFixed(3)}/255` : String(eps);
}

if (import.meta.main) await runStage(main);
