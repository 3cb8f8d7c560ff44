/**
 * The prepared-data format that `prepare-data` writes to `outputs/data/` and every later stage reads.
 *
 * Layout of the directory (all images uint8 NHWC, labels uint8, no headers):
 * ```
 * train-images.u8  train-labels.u8
 * val-images.u8    val-labels.u8
 * test-images.u8   test-labels.u8
 * meta.json        written last: its presence marks a complete directory
 * ```
 * `meta.json` holds the dataset name, image shape, class names, split sizes, the digest of the source files,
 * and the seed, validation fraction and limits it was made with. Nothing machine-specific (no paths, no dates)
 * goes in, so the same source and params give byte-identical output on any machine.
 *
 * @module
 */
import { join } from "node:path";
import { z } from "zod";
import { checkLabels, type ImageShape, imageSize } from "./dataset.ts";

/** Version of this layout, stored in meta.json. */
export const PREPARED_FORMAT = 1;
/** The split names, in the order they are written. */
export const SPLITS = ["train", "val", "test"] as const;
/** One of the prepared splits. */
export type SplitName = typeof SPLITS[number];
/** File name of the meta file. */
export const META_FILE = "meta.json";

/** The file names of one split's images and labels. */
export function splitFiles(split: SplitName): { images: string; labels: string } {
  return { images: `${split}-images.u8`, labels: `${split}-labels.u8` };
}

const count = z.number().int().nonnegative();
const metaSchema = z.object({
  format: z.literal(PREPARED_FORMAT),
  dataset: z.string().min(1),
  shape: z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]),
  classes: z.array(z.string()).min(2).max(256),
  splits: z.object({ train: count, val: count, test: count }),
  source_digest: z.string().regex(/^[0-9a-f]{64}$/),
  seed: z.number().int(),
  val_fraction: z.number().min(0).lt(1),
  limit_train: z.number().int().positive().nullable(),
  limit_test: z.number().int().positive().nullable(),
  files: z.object({
    train: z.object({ images: z.string(), labels: z.string() }),
    val: z.object({ images: z.string(), labels: z.string() }),
    test: z.object({ images: z.string(), labels: z.string() }),
  }),
});

/** Contents of meta.json. */
export type PreparedMeta = z.infer<typeof metaSchema> & { shape: ImageShape };

/** One split in memory. */
export interface PreparedSplit {
  /** n·H·W·C bytes, NHWC. */
  images: Uint8Array;
  /** n class indices. */
  labels: Uint8Array;
  n: number;
  shape: ImageShape;
}

/** A whole prepared directory in memory. */
export interface PreparedData {
  meta: PreparedMeta;
  train: PreparedSplit;
  val: PreparedSplit;
  test: PreparedSplit;
}

/** meta.json text: stable key order as given, two-space indent, trailing newline. */
export function encodeMeta(meta: PreparedMeta): string {
  return JSON.stringify(metaSchema.parse(meta), null, 2) + "\n";
}

/** Parses and validates meta.json text; errors name `file` and the offending key. */
export function decodeMeta(text: string, file: string): PreparedMeta {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message}); run the prepare-data stage again`);
  }
  const parsed = metaSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new Error(`${file}: invalid prepared-data meta (${issues}); run the prepare-data stage again`);
  }
  return parsed.data as PreparedMeta;
}

/**
 * Checks one split's raw bytes against meta (sizes and label range) and wraps them. `dir` is for messages.
 */
export function decodeSplit(
  meta: PreparedMeta,
  split: SplitName,
  images: Uint8Array,
  labels: Uint8Array,
  dir: string,
): PreparedSplit {
  const n = meta.splits[split];
  const files = meta.files[split];
  const expected = n * imageSize(meta.shape);
  if (images.length !== expected) {
    throw new Error(
      `${join(dir, files.images)}: ${images.length} bytes, expected ${expected} (${n} images of ` +
        `${meta.shape.join("x")}); the directory is incomplete or stale, run the prepare-data stage again`,
    );
  }
  if (labels.length !== n) {
    throw new Error(
      `${join(dir, files.labels)}: ${labels.length} labels, expected ${n}; run prepare-data again`,
    );
  }
  checkLabels(labels, meta.classes.length, join(dir, files.labels));
  return { images, labels, n, shape: meta.shape };
}

/**
 * Reads a prepared directory (default layout above) into memory.
 *
 * @example
 * ```ts
 * const { train, val, test, meta } = await loadPrepared("outputs/data");
 * console.log(meta.classes.length, train.n, train.shape);
 * ```
 */
export async function loadPrepared(dir: string): Promise<PreparedData> {
  const metaPath = join(dir, META_FILE);
  let text: string;
  try {
    text = await Deno.readTextFile(metaPath);
  } catch {
    throw new Error(`${metaPath} not found: run the prepare-data stage first (deno task repro prepare-data)`);
  }
  const meta = decodeMeta(text, metaPath);
  const read = async (split: SplitName): Promise<PreparedSplit> => {
    const f = meta.files[split];
    const [images, labels] = await Promise.all([
      Deno.readFile(join(dir, f.images)),
      Deno.readFile(join(dir, f.labels)),
    ]);
    return decodeSplit(meta, split, images, labels, dir);
  };
  const [train, val, test] = await Promise.all(SPLITS.map(read));
  return { meta, train, val, test };
}
