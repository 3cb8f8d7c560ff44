/**
 * Stage `corrupt-eval`: accuracy of one trained model under naturalistic corruptions (docs/method.md §4),
 * measured by lib/corruptions/evaluate.ts: clean accuracy, accuracy per (corruption, severity), mean corrupted accuracy over the
 * benchmark corruptions (extras summarised separately), and the clean-controlled drop and ratio.
 *
 * Run: `deno run -A stages/corrupt_eval.ts --alpha A --seed S [--backend B] [--threads N] [--data DIR]
 * [--models DIR] [--corrupted DIR] [--out DIR] [--examples DIR]`. Params (section `corrupt`) come from the
 * runner, or params.yaml by hand:
 * - `corruptions`: "all" (19), "benchmark" (15), "extra" (4), or a list of names; default "all".
 * - `severities`: list of 1..5; default all five.
 * - `seed`: seeds the corruptions (one stream per corruption, severity and test-image index) and the subset.
 * - `batch_size`: inference batch (default 256).
 * - `limit`: evaluate a seeded, stratified subset of this many test images (null: the whole test split).
 * - `official_dir`: null → the corruptions generated in TypeScript from the prepared test split, once for every
 *   network, by stage `corrupt-data` (stages/corrupt_data.ts; table by image size: lib/corruptions/params.ts);
 *   a path → the official files (CIFAR-10-C `.npy`, or Tiny-ImageNet-C folders, then `official_wnids` must name
 *   the Tiny ImageNet `wnids.txt`).
 * - `examples`: example images per corruption written as PNG (0: none).
 *
 * Reads `{data}` (prepared data, default outputs/data), the model `{models}/a{A}-s{S}/` (default
 * outputs/models) and, unless `official_dir` is set, the corrupted sets `{corrupted}` (default
 * outputs/corrupted, lib/corruptions/corrupted_sets.ts). Writes `{out}/a{A}-s{S}.json` (default
 * outputs/corruption) and, if `examples` > 0, `{examples}/a{A}-s{S}/<corruption>.png` (default outputs/corruption-examples): one row per example image,
 * clean first, then the severities. Backend/threads: `--backend`/`PIPELINE_BACKEND` and
 * `--threads`/`PIPELINE_THREADS` (default auto); they are not params, so they do not change the fingerprint.
 *
 * @module
 */
import { join } from "node:path";
import { stageParams } from "./support/params.ts";
import { runStage, stageEntry } from "./support/entry.ts";
import { stageProgress } from "./support/progress.ts";
import { backendFacts, perSecond, recordRunFacts } from "./support/run_facts.ts";
import { openRun, parseRunArgs } from "./support/run_cli.ts";
import { parseCorruptParams, selectedCorruptions, selectedSeverities } from "./support/corrupt_params.ts";
import { tableForSide } from "../lib/corruptions/params.ts";
import { summarizeCorruptions } from "../lib/corruptions/metrics.ts";
import { evaluateCorruptions } from "../lib/corruptions/evaluate.ts";
import { openCorruptedSets } from "../lib/corruptions/corrupted_sets.ts";

/** Parses the command line; `--alpha` and `--seed` are required. */
export function parseCorruptArgs(argv: string[], env: { get(k: string): string | undefined } = Deno.env) {
  return parseRunArgs("corrupt-eval", argv, {
    data: "outputs/data",
    models: "outputs/models",
    corrupted: "outputs/corrupted",
    out: "outputs/corruption",
    examples: "outputs/corruption-examples",
  }, env);
}

/** Readies the backend in a stage host before the stage (stages/support/run_cli.ts). */
export { warmBackend as warm } from "./support/run_cli.ts";

/** The stage's entry point (stages/support/entry.ts): argv in, exit code out. */
export const main = stageEntry(async (argv) => {
  const started = performance.now();
  const args = parseCorruptArgs(argv);
  const p = parseCorruptParams("corrupt-eval", stageParams());
  const { info, data, model } = await openRun(args);
  const run = args.run;
  const shape = data.meta.shape;
  const table = p.official_dir ? null : tableForSide(shape[0]).name;
  const progress = stageProgress();
  const r = await evaluateCorruptions(
    model,
    data.test,
    shape,
    {
      corruptions: selectedCorruptions(p.corruptions),
      severities: selectedSeverities(p.severities),
      seed: p.seed,
      batchSize: p.batch_size,
      limit: p.limit,
      corrupted: p.official_dir ? null : await openCorruptedSets(args.corrupted),
      officialDir: p.official_dir,
      officialWnids: p.official_wnids,
      examples: p.examples,
      dataset: data.meta.dataset,
    },
    (line) => console.log(`corrupt-eval ${run}: ${line}`),
    (done, total, label) => progress.update(done, total, label),
  );
  const { clean, accuracy } = r;
  const examplesDir = join(args.examples, run);
  if (r.examplePngs.size > 0) {
    await Deno.remove(examplesDir, { recursive: true }).catch(() => {});
    await Deno.mkdir(examplesDir, { recursive: true });
    for (const [name, png] of r.examplePngs) await Deno.writeFile(join(examplesDir, `${name}.png`), png);
  }

  const summary = summarizeCorruptions(clean, accuracy);
  const metrics = {
    run,
    alpha: Number(args.alpha),
    seed: Number(args.seed),
    dataset: data.meta.dataset,
    source: p.official_dir ? "official" : "generated",
    table,
    params: p,
    n_images: p.official_dir ? null : r.images,
    clean_accuracy: clean,
    mean_corrupted_accuracy: summary.benchmark?.mean_accuracy ?? null,
    ...summary,
    accuracy,
  };
  const time = {
    total: (performance.now() - started) / 1000,
    read: r.timing.read,
    predict: r.timing.predict,
  };
  await Deno.mkdir(args.out, { recursive: true });
  const outPath = join(args.out, `${run}.json`);
  await Deno.writeTextFile(`${outPath}.tmp`, JSON.stringify(metrics, null, 2) + "\n");
  await Deno.rename(`${outPath}.tmp`, outPath);
  console.log(
    `corrupt-eval ${run}: mean corrupted accuracy ${metrics.mean_corrupted_accuracy?.toFixed(4) ?? "-"} ` +
      `(clean ${clean.toFixed(4)}) -> ${outPath} in ${time.total.toFixed(1)} s ` +
      `(read ${time.read.toFixed(1)} s, predict ${time.predict.toFixed(1)} s, ${info.device})`,
  );
  // Generated sets: every (corruption, severity) cell corrupts the same subset; prediction also covers it clean.
  const cells = Object.values(accuracy).reduce((n, row) => n + Object.keys(row ?? {}).length, 0);
  const imagesPerSec = p.official_dir ? null : {
    read: perSecond(cells * r.images, time.read),
    predict: perSecond((cells + 1) * r.images, time.predict),
  };
  await recordRunFacts({ ...backendFacts(info), time_s: time, images_per_sec: imagesPerSec });
});

if (import.meta.main) await runStage(main);
