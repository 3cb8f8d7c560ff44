/**
 * Stage `measure-gradients`: input–unit gradient variability of one trained model (docs/method.md §7). For every unit
 * u of every selectivity layer and every sample x of a fixed, seeded, class-stratified subset of the test split,
 * s_u(x) = ‖∂a_u(x)/∂x‖ (a_u: spatial mean of the post-ReLU channel, pixels in [0, 1]); then per layer the CV
 * across samples (per unit, averaged over units) and across units (per sample, averaged over samples), units
 * with zero mean norm excluded (lib/gradients).
 *
 * Run: `deno run -A stages/measure_gradients.ts --alpha A --seed S [--backend B] [--threads N] [--data DIR]
 * [--models DIR] [--out DIR]`. Params, section `grad`:
 * - `n_samples` (100; paper 500): test images, stratified by class, the same for every network. The cost is
 *   units × samples backward passes; see the report of the stage for the measured CV stability at 100.
 * - `norm` (`l2` | `l1`), `seed` (0, seeds the subset), `max_batch` (512: images per backward pass).
 *
 * Writes `{out}/a{A}-s{S}.json` (default outputs/gradients): per-layer summary and per-unit CV and mean norm.
 *
 * @module
 */
import { z } from "zod";
import * as tf from "@tensorflow/tfjs-core";
import { stratifiedSample } from "../lib/data/split.ts";
import { unitGradientNorms } from "../lib/gradients/unit_gradients.ts";
import { gradientVariability } from "../lib/gradients/variability.ts";
import { selectivityLayersOf } from "../lib/models/registry.ts";
import { deriveSeed } from "../lib/random.ts";
import { makeBatch } from "../lib/data/batches.ts";
import { openRun, parseRunArgs, writeJson } from "./support/run_cli.ts";
import { parseSection, stageParams } from "./support/params.ts";
import { runStage, stageEntry } from "./support/entry.ts";
import { stageProgress } from "./support/progress.ts";
import { backendFacts, recordRunFacts } from "./support/run_facts.ts";

const STAGE = "measure-gradients";

/** Schema of the `grad` section. */
export const gradSchema = z.strictObject({
  n_samples: z.number().int().min(2).default(100),
  norm: z.enum(["l2", "l1"]).default("l2"),
  seed: z.number().int().default(0),
  max_batch: z.number().int().positive().default(512),
});

/** Readies the backend in a stage host before the stage (stages/support/run_cli.ts). */
export { warmBackend as warm } from "./support/run_cli.ts";

/** The stage's entry point (stages/support/entry.ts): argv in, exit code out. */
export const main = stageEntry(async (argv) => {
  const started = performance.now();
  const args = parseRunArgs(STAGE, argv, {
    data: "outputs/data",
    models: "outputs/models",
    out: "outputs/gradients",
  });
  const p = parseSection(STAGE, stageParams(), "grad", gradSchema);
  const { info, data, model } = await openRun(args);
  const { selectivityLayers } = selectivityLayersOf(model);
  const rows = stratifiedSample(data.test.labels, p.n_samples, deriveSeed(p.seed, "grad-subset"));
  const batch = makeBatch(data.test, rows);
  const x = tf.tensor4d(batch.x, batch.shape);
  const layers = [];
  const layerSeconds: Record<string, number> = {};
  const progress = stageProgress();
  for (const [i, layer] of selectivityLayers.entries()) {
    const t0 = performance.now();
    const norms = await unitGradientNorms(model, layer, x, { norm: p.norm, maxBatch: p.max_batch });
    const v = gradientVariability(norms);
    const seconds = (performance.now() - t0) / 1000;
    layers.push({
      name: layer,
      ...v,
      per_unit_mean_norm: norms.map((s) => s.reduce((a, b) => a + b, 0) / s.length),
    });
    layerSeconds[layer] = seconds;
    progress.update(i + 1, selectivityLayers.length, layer);
    console.log(
      `${STAGE} ${args.run}: ${layer} CV across samples ${v.across_samples.cv?.toFixed(4) ?? "-"}, ` +
        `across units ${
          v.across_units.cv?.toFixed(4) ?? "-"
        } (${v.excluded_units}/${v.units} units excluded) ` +
        `in ${seconds.toFixed(1)} s`,
    );
  }
  x.dispose();
  const mean = (xs: (number | null)[]) => {
    const ok = xs.filter((v): v is number => v !== null);
    return ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : null;
  };
  const seconds = (performance.now() - started) / 1000;
  const path = await writeJson(args.out, `${args.run}.json`, {
    run: args.run,
    alpha: Number(args.alpha),
    seed: Number(args.seed),
    dataset: data.meta.dataset,
    params: { grad: p },
    n_samples: rows.length,
    /** Layer means (each layer weighs the same, like μ_SI). */
    network: {
      cv_across_samples: mean(layers.map((l) => l.across_samples.cv)),
      cv_across_units: mean(layers.map((l) => l.across_units.cv)),
    },
    layers,
  });
  await recordRunFacts({ ...backendFacts(info), time_s: { total: seconds, layers: layerSeconds } });
  console.log(`${STAGE} ${args.run}: -> ${path} in ${seconds.toFixed(1)} s (${info.device})`);
});

if (import.meta.main) await runStage(main);
