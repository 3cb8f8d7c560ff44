/**
 * Stage `measure-selectivity`: the class selectivity index of every unit of every selectivity layer of one
 * trained model on the held-out test split (docs/method.md §1): per-unit SI, per-layer distribution (mean, median,
 * quantiles, histogram), dead units per layer, the network mean μ_SI (docs/method.md §1.3) and the test accuracy on the same
 * images.
 *
 * Run: `deno run -A stages/measure_selectivity.ts --alpha A --seed S [--backend B] [--threads N] [--data DIR]
 * [--models DIR] [--out DIR]`. Params (runner, or params.yaml by hand):
 * - `si.epsilon` (1e-7), `si.layer_grouping` (`block` | `stage`): shared with `train`.
 * - `selectivity.limit`: a seeded, stratified subset of this many test images (null: the whole split, default).
 * - `selectivity.seed` (0): seeds that subset. `selectivity.batch_size` (256). `selectivity.histogram_bins` (20).
 *
 * Reads `{data}` (default outputs/data) and `{models}/a{A}-s{S}/` (default outputs/models). Writes
 * `{out}/a{A}-s{S}.json` (default outputs/selectivity): metrics plus per-layer histograms and per-unit SI.
 *
 * @module
 */
import { z } from "zod";
import { stratifiedSample } from "../lib/data/split.ts";
import { measureSelectivity } from "../lib/measure/selectivity.ts";
import { selectivityLayersOf } from "../lib/models/registry.ts";
import { deriveSeed } from "../lib/random.ts";
import { openRun, parseRunArgs, writeJson } from "./support/run_cli.ts";
import { parseSection, stageParams } from "./support/params.ts";
import { runStage, stageEntry } from "./support/entry.ts";
import { backendFacts, recordRunFacts } from "./support/run_facts.ts";

const STAGE = "measure-selectivity";

/** Schema of the `si` section (shared with `train`). */
export const siSchema = z.strictObject({
  epsilon: z.number().positive().default(1e-7),
  layer_grouping: z.enum(["block", "stage"]).default("block"),
});

/** Schema of the `selectivity` section. */
export const selectivitySchema = z.strictObject({
  limit: z.number().int().positive().nullable().default(null),
  seed: z.number().int().default(0),
  batch_size: z.number().int().positive().default(256),
  histogram_bins: z.number().int().min(1).max(1000).default(20),
});

/** Readies the backend in a stage host before the stage (stages/support/run_cli.ts). */
export { warmBackend as warm } from "./support/run_cli.ts";

/** The stage's entry point (stages/support/entry.ts): argv in, exit code out. */
export const main = stageEntry(async (argv) => {
  const started = performance.now();
  const args = parseRunArgs(STAGE, argv, {
    data: "outputs/data",
    models: "outputs/models",
    out: "outputs/selectivity",
  });
  const params = stageParams();
  const si = parseSection(STAGE, params, "si", siSchema);
  const p = parseSection(STAGE, params, "selectivity", selectivitySchema);
  const { info, data, model } = await openRun(args);
  const { selectivityStages } = selectivityLayersOf(model);
  const indices = p.limit !== null && p.limit < data.test.n
    ? stratifiedSample(data.test.labels, p.limit, deriveSeed(p.seed, "selectivity-subset"))
    : undefined;
  const report = await measureSelectivity(model, data.test, {
    numClasses: data.meta.classes.length,
    stages: selectivityStages,
    indices,
    batchSize: p.batch_size,
    epsilon: si.epsilon,
    grouping: si.layer_grouping,
    bins: p.histogram_bins,
  });
  const seconds = (performance.now() - started) / 1000;
  const path = await writeJson(args.out, `${args.run}.json`, {
    run: args.run,
    alpha: Number(args.alpha),
    seed: Number(args.seed),
    dataset: data.meta.dataset,
    split: "test",
    params: { si, selectivity: p },
    ...report,
  });
  await recordRunFacts({ ...backendFacts(info), time_s: seconds });
  const perLayer = report.layers.map((l) => `${l.name} ${l.mean_si.toFixed(3)} (${l.dead_units} dead)`).join(
    ", ",
  );
  console.log(
    `${STAGE} ${args.run}: μ_SI ${report.network_mean_si.toFixed(4)} on ${report.n_images} test images ` +
      `(accuracy ${report.accuracy.toFixed(4)}); ${perLayer} -> ${path} in ${seconds.toFixed(1)} s`,
  );
});

if (import.meta.main) await runStage(main);
