/**
 * Stage `corrupt-eval`: accuracy of one trained model under naturalistic corruptions (paper.md §4,
 * robustness.md Part I): clean accuracy, accuracy per (corruption, severity), mean corrupted accuracy over the
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
import { backendFacts, recordRunFacts } from "./support/run_facts.ts";
import { openRun, parseRunArgs } from "./support/run_cli.ts";
import { type PreparedSplit } from "../lib/data/prepared.ts";
import { stratifiedSample } from "../lib/data/split.ts";
import { deriveSeed } from "../lib/random.ts";
import { accuracyOf, predictClasses } from "../lib/eval/predict.ts";
import { encodePng } from "../lib/eval/png.ts";
import {
  BENCHMARK_CORRUPTIONS,
  type CorruptionName,
  corruptionRng,
  CORRUPTIONS,
  corruptStored,
  EXTRA_CORRUPTIONS,
  isCorruptionName,
} from "../lib/corruptions/registry.ts";
import { tableForSide } from "../lib/corruptions/params.ts";
import { type AccuracyTable, summarizeCorruptions } from "../lib/corruptions/metrics.ts";
import { type CorruptedSet, loadCifar10C, loadTinyImagenetC } from "../lib/corruptions/official.ts";

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

/** Rows `indices` of a split. */
function rows(split: PreparedSplit, indices: ArrayLike<number>): { images: Uint8Array; labels: Uint8Array } {
  const size = split.shape[0] * split.shape[1] * split.shape[2];
  const images = new Uint8Array(indices.length * size);
  const labels = new Uint8Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    images.set(split.images.subarray(indices[k] * size, (indices[k] + 1) * size), k * size);
    labels[k] = split.labels[indices[k]];
  }
  return { images, labels };
}

/** Tiles images (each h×w×c) into a grid of `rowsN` × `cols` cells, row-major. */
function grid(cells: Uint8Array[], rowsN: number, cols: number, h: number, w: number, c: number): Uint8Array {
  const out = new Uint8Array(rowsN * h * cols * w * c);
  const stride = cols * w * c;
  cells.forEach((cell, k) => {
    const r = Math.floor(k / cols), col = k % cols;
    for (let y = 0; y < h; y++) {
      out.set(cell.subarray(y * w * c, (y + 1) * w * c), (r * h + y) * stride + col * w * c);
    }
  });
  return out;
}

async function main(): Promise<void> {
  const started = performance.now();
  const args = parseCorruptArgs(Deno.args);
  const p = parseCorruptParams(stageParams());
  const names = selectedCorruptions(p.corruptions);
  const severities = [...new Set(p.severities)].sort();
  const { info, data, model } = await openRun(args);
  const run = args.run;
  const shape = data.meta.shape as [number, number, number];
  const [h, w, c] = shape;
  const size = h * w * c;
  const table = p.official_dir ? null : tableForSide(h).name;

  const subset = p.limit && p.limit < data.test.n
    ? stratifiedSample(data.test.labels, p.limit, deriveSeed(p.seed, "corrupt-subset"))
    : Uint32Array.from({ length: data.test.n }, (_, i) => i);
  const test = rows(data.test, subset);
  let predictMs = 0, corruptMs = 0;
  const timedPredict = async (images: Uint8Array) => {
    const t0 = performance.now();
    const pred = await predictClasses(model, images, shape, p.batch_size);
    predictMs += performance.now() - t0;
    return pred;
  };
  const clean = accuracyOf(await timedPredict(test.images), test.labels);
  console.log(`corrupt-eval ${run}: clean accuracy ${clean.toFixed(4)} on ${subset.length} test images`);

  let officialIndices: Uint32Array | null = null;
  const officialSet = async (name: CorruptionName, severity: number): Promise<CorruptedSet> => {
    const dir = p.official_dir!;
    if (data.meta.dataset === "tiny-imagenet") {
      if (!p.official_wnids) {
        throw new Error("corrupt-eval: corrupt.official_wnids (Tiny ImageNet wnids.txt) is required");
      }
      const wnids = (await Deno.readTextFile(p.official_wnids)).split(/\r?\n/).map((s) => s.trim()).filter(
        Boolean,
      );
      const set = await loadTinyImagenetC(dir, name, severity, wnids, h);
      if (!p.limit || p.limit >= set.n) return set;
      const keep = stratifiedSample(set.labels, p.limit, deriveSeed(p.seed, "corrupt-subset"));
      const picked = { images: new Uint8Array(keep.length * size), labels: new Uint8Array(keep.length) };
      keep.forEach((i, k) => {
        picked.images.set(set.images.subarray(i * size, (i + 1) * size), k * size);
        picked.labels[k] = set.labels[i];
      });
      return { ...picked, n: keep.length, shape: set.shape };
    }
    if (officialIndices === null) {
      const all = await loadCifar10C(dir, name, 1);
      officialIndices = p.limit && p.limit < all.n
        ? stratifiedSample(all.labels, p.limit, deriveSeed(p.seed, "corrupt-subset"))
        : Uint32Array.from({ length: all.n }, (_, i) => i);
    }
    return await loadCifar10C(dir, name, severity, officialIndices);
  };

  const accuracy: AccuracyTable = {};
  const nExamples = Math.min(p.examples, subset.length);
  const examplesDir = join(args.examples, run);
  if (nExamples > 0) {
    await Deno.remove(examplesDir, { recursive: true }).catch(() => {});
    await Deno.mkdir(examplesDir, { recursive: true });
  }
  const progress = stageProgress();
  for (const [i, name] of names.entries()) {
    const bySeverity: Record<string, number> = {};
    const exampleCells: Uint8Array[][] = Array.from({ length: nExamples }, () => []);
    for (const severity of severities) {
      const t0 = performance.now();
      let set: { images: Uint8Array; labels: Uint8Array };
      if (p.official_dir) {
        const official = await officialSet(name, severity);
        if (official.shape.join("x") !== shape.join("x")) {
          throw new Error(
            `corrupt-eval: official ${name} images are ${official.shape.join("x")}, the model takes ${
              shape.join("x")
            }`,
          );
        }
        set = official;
      } else {
        const images = new Uint8Array(test.images.length);
        for (let k = 0; k < subset.length; k++) {
          const rng = corruptionRng(p.seed, name, severity, subset[k]);
          images.set(
            corruptStored(test.images.subarray(k * size, (k + 1) * size), shape, name, severity, rng),
            k * size,
          );
        }
        set = { images, labels: test.labels };
      }
      corruptMs += performance.now() - t0;
      bySeverity[String(severity)] = accuracyOf(await timedPredict(set.images), set.labels);
      progress.update(
        i * severities.length + severities.indexOf(severity) + 1,
        names.length * severities.length,
        `${name} severity ${severity}`,
      );
      for (let k = 0; k < nExamples; k++) {
        if (severity === severities[0] && !p.official_dir) {
          exampleCells[k].push(test.images.subarray(k * size, (k + 1) * size));
        }
        exampleCells[k].push(set.images.subarray(k * size, (k + 1) * size));
      }
    }
    accuracy[name] = bySeverity;
    if (nExamples > 0) {
      const cols = severities.length + (p.official_dir ? 0 : 1);
      const pixels = grid(exampleCells.flat(), nExamples, cols, h, w, c);
      await Deno.writeFile(
        join(examplesDir, `${name}.png`),
        encodePng(pixels, nExamples * h, cols * w, c as 1 | 3),
      );
    }
    const accs = Object.values(bySeverity).map((a) => a.toFixed(3)).join(" ");
    console.log(`corrupt-eval ${run}: ${name} ${accs}`);
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
    n_images: p.official_dir ? null : subset.length,
    clean_accuracy: clean,
    mean_corrupted_accuracy: summary.benchmark?.mean_accuracy ?? null,
    ...summary,
    accuracy,
  };
  const time = {
    total: (performance.now() - started) / 1000,
    corrupt: corruptMs / 1000,
    predict: predictMs / 1000,
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
  await recordRunFacts({ ...backendFacts(info), time_s: time });
}

if (import.meta.main) await runStage(main);
