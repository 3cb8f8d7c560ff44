/**
 * Stage `corrupt-eval`: accuracy of one trained model under naturalistic corruptions (docs/method.md §4),
 * measured by lib/corruptions/evaluate.ts: clean accuracy, accuracy per (corruption, severity), mean corrupted accuracy over the
 * benchmark corruptions (extras summarised separately), and the clean-controlled drop and ratio.
 *
 * Run: `deno run -A stages/corrupt_eval.ts --alpha A --seed S [--backend B] [--threads N] [--data DIR]
 * [--models DIR] [--out DIR] [--examples DIR]`. Params (section `corrupt`) come from the runner, or
 * params.yaml by hand:
 * - `corruptions`: "all" (19), "benchmark" (15), "extra" (4), or a list of names; default "all".
 * - `severities`: list of 1..5; default all five.
 * - `seed`: seeds the corruptions (one stream per corruption, severity and test-image index) and the subset.
 * - `batch_size`: inference batch (default 256).
 * - `limit`: evaluate a seeded, stratified subset of this many test images (null: the whole test split).
 * - `official_dir`: null → corruptions generated in TypeScript from the prepared test split (table by image
 *   size: lib/corruptions/params.ts); a path → the official files (CIFAR-10-C `.npy`, or Tiny-ImageNet-C
 *   folders, then `official_wnids` must name the Tiny ImageNet `wnids.txt`).
 * - `examples`: example images per corruption written as PNG (0: none).
 *
 * Reads `{data}` (prepared data, default outputs/data) and the model `{models}/a{A}-s{S}/` (default
 * outputs/models). Writes `{out}/a{A}-s{S}.json` (default outputs/corruption) and, if `examples` > 0,
 * `{examples}/a{A}-s{S}/<corruption>.png` (default outputs/corruption-examples): one row per example image,
 * clean first, then the severities. Backend/threads: `--backend`/`PIPELINE_BACKEND` and
 * `--threads`/`PIPELINE_THREADS` (default auto); they are not params, so they do not change the fingerprint.
 *
 * @module
 */
import { join } from "node:path";
import { z } from "zod";
import { stageParams } from "./support/params.ts";
import { runStage } from "./support/entry.ts";
import { stageProgress } from "./support/progress.ts";
import { backendFacts, perSecond, recordRunFacts } from "./support/run_facts.ts";
import { openRun, parseRunArgs } from "./support/run_cli.ts";
import {
  BENCHMARK_CORRUPTIONS,
  type CorruptionName,
  CORRUPTIONS,
  EXTRA_CORRUPTIONS,
  isCorruptionName,
} from "../lib/corruptions/registry.ts";
import { tableForSide } from "../lib/corruptions/params.ts";
import { summarizeCorruptions } from "../lib/corruptions/metrics.ts";
import { evaluateCorruptions } from "../lib/corruptions/evaluate.ts";

/** Schema of the stage's `corrupt` params. */
export const corruptParamsSchema = z.strictObject({
  corruptions: z.union([
    z.enum(["all", "benchmark", "extra"]),
    z.array(
      z.string().refine(isCorruptionName, {
        error: (iss) => `unknown corruption '${iss.input}' (known: ${CORRUPTIONS.join(", ")})`,
      }),
    ).min(1),
  ], { error: 'use "all", "benchmark", "extra" or a list of corruption names' }).default("all"),
  severities: z.array(z.number().int().min(1).max(5)).min(1).default([1, 2, 3, 4, 5]),
  seed: z.number().int().default(0),
  batch_size: z.number().int().positive().default(256),
  limit: z.number().int().positive().nullish(),
  official_dir: z.string().min(1).nullish(),
  official_wnids: z.string().min(1).nullish(),
  examples: z.number().int().min(0).max(16).default(2),
});

/** Validated `corrupt` params. */
export type CorruptParams = z.infer<typeof corruptParamsSchema>;

/** Validates the stage's params object; errors name each bad key as `corrupt.<key>`. */
export function parseCorruptParams(params: Record<string, unknown>): CorruptParams {
  const parsed = corruptParamsSchema.safeParse(params.corrupt ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) =>
      `corrupt${i.path.map((p) => `.${String(p)}`).join("")}: ${i.message}`
    );
    throw new Error(`corrupt-eval: invalid params: ${issues.join("; ")}`);
  }
  return parsed.data;
}

/** The corruption names a `corruptions` param selects, in canonical order. */
export function selectedCorruptions(choice: CorruptParams["corruptions"]): CorruptionName[] {
  if (choice === "all") return [...CORRUPTIONS];
  if (choice === "benchmark") return [...BENCHMARK_CORRUPTIONS];
  if (choice === "extra") return [...EXTRA_CORRUPTIONS];
  return CORRUPTIONS.filter((n) => (choice as string[]).includes(n));
}

/** Parses the command line; `--alpha` and `--seed` are required. */
export function parseCorruptArgs(argv: string[], env: { get(k: string): string | undefined } = Deno.env) {
  return parseRunArgs("corrupt-eval", argv, {
    data: "outputs/data",
    models: "outputs/models",
    out: "outputs/corruption",
    examples: "outputs/corruption-examples",
  }, env);
}

async function main(): Promise<void> {
  const started = performance.now();
  const args = parseCorruptArgs(Deno.args);
  const p = parseCorruptParams(stageParams());
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
      severities: [...new Set(p.severities)].sort(),
      seed: p.seed,
      batchSize: p.batch_size,
      limit: p.limit,
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
    corrupt: r.timing.corrupt,
    predict: r.timing.predict,
  };
  await Deno.mkdir(args.out, { recursive: true });
  const outPath = join(args.out, `${run}.json`);
  await Deno.writeTextFile(`${outPath}.tmp`, JSON.stringify(metrics, null, 2) + "\n");
  await Deno.rename(`${outPath}.tmp`, outPath);
  console.log(
    `corrupt-eval ${run}: mean corrupted accuracy ${metrics.mean_corrupted_accuracy?.toFixed(4) ?? "-"} ` +
      `(clean ${clean.toFixed(4)}) -> ${outPath} in ${time.total.toFixed(1)} s ` +
      `(corrupt ${time.corrupt.toFixed(1)} s, predict ${time.predict.toFixed(1)} s, ${info.device})`,
  );
  // Generated sets: every (corruption, severity) cell corrupts the same subset; prediction also covers it clean.
  const cells = Object.values(accuracy).reduce((n, row) => n + Object.keys(row ?? {}).length, 0);
  const imagesPerSec = p.official_dir ? null : {
    corrupt: perSecond(cells * r.images, time.corrupt),
    predict: perSecond((cells + 1) * r.images, time.predict),
  };
  await recordRunFacts({ ...backendFacts(info), time_s: time, images_per_sec: imagesPerSec });
}

if (import.meta.main) await runStage(main);
