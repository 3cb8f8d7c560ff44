/**
 * Stage `prepare-data`: turns a raw dataset into the prepared form of `lib/data/prepared.ts` (train/val/test
 * uint8 files plus meta.json) under `data.out`.
 *
 * Params (all under `data`):
 * - `name`: "fashion-mnist" | "mnist" | "cifar10" | "tiny-imagenet" | "synthetic"
 * - `dir`: source folder. Required for mnist (IDX files), cifar10 (`cifar-10-batches-bin/`) and tiny-imagenet
 *   (`tiny-imagenet-200/`). For fashion-mnist optional: else Debian's /usr/share/datasets/fashion-mnist, else a
 *   checksum-verified download into `cache_dir`.
 * - `val_fraction` (default 0.1): share of each class of the training source held out for validation.
 * - `seed` (default 0): seeds the caps and the split.
 * - `limit_train`, `limit_test` (default null): stratified seeded caps on the training source (before the
 *   validation split) and on the test set, for fast runs.
 * - `out` (default outputs/data), `cache_dir` (default outputs/downloads/fashion-mnist).
 * - `synthetic` (only for name "synthetic"): `{train, test, classes, shape, noise}`.
 *
 * Run: `deno run -A stages/prepare_data.ts` (params from the runner, or params.yaml by hand).
 *
 * @module
 */
import { join } from "node:path";
import { z } from "zod";
import { stageParams } from "./support/params.ts";
import { runStage, stageEntry } from "./support/entry.ts";
import { parseStageArgs } from "./support/stage_command.ts";
import { deriveSeed } from "../lib/random.ts";
import {
  DATASET_NAMES,
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_SHA256,
  MNIST_CLASSES,
} from "../lib/data/catalog.ts";
import { type LabelledImages, takeRows } from "../lib/data/dataset.ts";
import { manifestDigest, sha256Hex } from "../lib/data/digest.ts";
import {
  encodeMeta,
  META_FILE,
  type PreparedMeta,
  splitFiles,
  type SplitName,
  SPLITS,
} from "../lib/data/prepared.ts";
import { splitTrainVal, stratifiedSample } from "../lib/data/split.ts";
import { makeSynthetic } from "../lib/data/synthetic.ts";
import {
  loadCifar10,
  loadIdxSource,
  loadTinyImagenet,
  locateFashionMnist,
  memorySplit,
  type Source,
  type SourceSplit,
} from "../lib/data/sources.ts";

const positiveInt = z.number().int().positive();

/** The `data` params of this stage. */
export const dataParamsSchema = z.strictObject({
  name: z.enum(DATASET_NAMES),
  dir: z.string().min(1).nullish(),
  val_fraction: z.number().min(0).lt(1).default(0.1),
  seed: z.number().int().default(0),
  limit_train: positiveInt.nullish(),
  limit_test: positiveInt.nullish(),
  out: z.string().min(1).default("outputs/data"),
  cache_dir: z.string().min(1).default("outputs/downloads/fashion-mnist"),
  synthetic: z.strictObject({
    train: positiveInt.default(1200),
    test: positiveInt.default(400),
    classes: z.number().int().min(2).max(256).default(4),
    shape: z.tuple([positiveInt, positiveInt, positiveInt]).default([16, 16, 1]),
    noise: z.number().nonnegative().default(16),
  }).prefault({}),
});

/** Validated `data` params. */
export type DataParams = z.infer<typeof dataParamsSchema>;

/** Validates the stage's params object; the error names each bad key as `data.<key>`. */
export function parseDataParams(params: Record<string, unknown>): DataParams {
  const parsed = dataParamsSchema.safeParse(params.data);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) =>
      `data${i.path.map((p) => `.${String(p)}`).join("")}: ${i.message}`
    );
    throw new Error(`prepare-data: invalid params: ${issues.join("; ")}`);
  }
  return parsed.data;
}

function requireDir(p: DataParams): string {
  if (!p.dir) {
    throw new Error(`prepare-data: data.dir is required for data.name "${p.name}" (the source folder)`);
  }
  return p.dir;
}

/** Opens the raw source named by the params; `origin` says where it came from (for the summary line only). */
async function openSource(p: DataParams): Promise<{ source: Source; origin: string }> {
  switch (p.name) {
    case "fashion-mnist": {
      const found = await locateFashionMnist({ dir: p.dir ?? undefined, cacheDir: p.cache_dir });
      return {
        source: await loadIdxSource(found.dir, FASHION_MNIST_CLASSES, FASHION_MNIST_SHA256),
        origin: found.origin,
      };
    }
    case "mnist":
      return { source: await loadIdxSource(requireDir(p), MNIST_CLASSES), origin: requireDir(p) };
    case "cifar10":
      return { source: await loadCifar10(requireDir(p)), origin: requireDir(p) };
    case "tiny-imagenet":
      return { source: await loadTinyImagenet(requireDir(p)), origin: requireDir(p) };
    case "synthetic": {
      const s = p.synthetic;
      const make = (n: number, part: string) =>
        makeSynthetic({
          n,
          classes: s.classes,
          shape: s.shape,
          noise: s.noise,
          seed: deriveSeed(p.seed, "synthetic", part),
        });
      const train = make(s.train, "train");
      const config = JSON.stringify({ generator: "makeSynthetic/v1", seed: p.seed, ...s });
      return {
        source: {
          classes: train.classes,
          shape: train.shape,
          train: memorySplit(train),
          test: memorySplit(make(s.test, "test")),
          digests: new Map([["synthetic.json", await sha256Hex(config)]]),
        },
        origin: "generated",
      };
    }
  }
}

/** The images of a split, capped (stratified, seeded) when `limit` is set. */
function capped(split: SourceSplit, limit: number | null | undefined, seed: number): Promise<LabelledImages> {
  const indices = limit
    ? stratifiedSample(split.labels, limit, seed)
    : Uint32Array.from({ length: split.labels.length }, (_, i) => i);
  return split.read(indices);
}

/**
 * Prepares the dataset named by `p` and writes it to `p.out`: the six split files first, then meta.json (an
 * old meta.json is removed before anything else is written, so a crash never leaves a stale one next to new
 * files). Returns the meta and a one-line summary.
 */
export async function prepareData(p: DataParams): Promise<{ meta: PreparedMeta; summary: string }> {
  const { source, origin } = await openSource(p);
  const trainSource = await capped(source.train, p.limit_train, deriveSeed(p.seed, "limit-train"));
  const test = await capped(source.test, p.limit_test, deriveSeed(p.seed, "limit-test"));
  const { train: trainIdx, val: valIdx } = splitTrainVal(
    trainSource.labels,
    p.val_fraction,
    deriveSeed(p.seed, "val-split"),
  );
  const splits: Record<SplitName, LabelledImages> = {
    train: takeRows(trainSource, trainIdx),
    val: takeRows(trainSource, valIdx),
    test,
  };

  await Deno.mkdir(p.out, { recursive: true });
  await Deno.remove(join(p.out, META_FILE)).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
  for (const s of SPLITS) {
    const f = splitFiles(s);
    await Deno.writeFile(join(p.out, f.images), splits[s].images);
    await Deno.writeFile(join(p.out, f.labels), splits[s].labels);
  }
  const meta: PreparedMeta = {
    format: 1,
    dataset: p.name,
    shape: source.shape,
    classes: source.classes,
    splits: { train: trainIdx.length, val: valIdx.length, test: test.labels.length },
    source_digest: await manifestDigest(source.digests),
    seed: p.seed,
    val_fraction: p.val_fraction,
    limit_train: p.limit_train ?? null,
    limit_test: p.limit_test ?? null,
    files: { train: splitFiles("train"), val: splitFiles("val"), test: splitFiles("test") },
  };
  const tmp = join(p.out, `${META_FILE}.tmp`);
  await Deno.writeTextFile(tmp, encodeMeta(meta));
  await Deno.rename(tmp, join(p.out, META_FILE));
  const summary =
    `prepare-data: ${p.name} (${origin}) ${meta.shape.join("x")}, ${meta.classes.length} classes: ` +
    `train ${meta.splits.train}, val ${meta.splits.val}, test ${meta.splits.test} -> ${p.out} ` +
    `(source sha256 ${meta.source_digest.slice(0, 12)})`;
  return { meta, summary };
}

/** The stage's entry point (stages/support/entry.ts): argv in, exit code out. */
export const main = stageEntry(async (argv) => {
  parseStageArgs(
    "prepare-data",
    "raw dataset -> prepared train/val/test; params (section data) from the runner",
    [],
    argv,
  );
  const { summary } = await prepareData(parseDataParams(stageParams()));
  console.log(summary);
});

if (import.meta.main) await runStage(main);
