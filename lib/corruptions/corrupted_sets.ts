/**
 * Corrupted copies of the test subset, made once for every network (stage `corrupt-data`) and read by each
 * `corrupt-eval` (docs/corruptions.md). A corrupted image depends only on the clean image, the corruption, the
 * severity and the seed (`corruptionRng`, registry.ts), never on the network, so generating the sets in every
 * `corrupt-eval` repeated the same CPU work once per network. The folder holds:
 * - `meta.json`: the seed, the corruptions, the severities (in file order), the test-set indices of the subset,
 *   the image shape, the parameter table and the SHA-256 of the clean subset's bytes (so a reader can tell
 *   that the sets were made from its own test images);
 * - `<corruption>.npy`: uint8 (S·n, H, W, C) as the official CIFAR-10-C files, severity `severities[s]` in
 *   rows [s·n, (s+1)·n), images in subset order.
 *
 * @example
 * ```ts
 * await writeCorruptedSets("outputs/corrupted", data.test, { corruptions: ["fog"], severities: [3], seed: 0, limit: 100 });
 * const sets = await openCorruptedSets("outputs/corrupted");
 * const fog3 = await sets.read("fog", 3); // uint8, n images
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { z } from "zod";
import type { PreparedSplit } from "../data/prepared.ts";
import { sha256Hex } from "../data/digest.ts";
import { stratifiedSample } from "../data/split.ts";
import { deriveSeed } from "../random.ts";
import { encodeNpyHeader, readNpyRows } from "./npy.ts";
import { tableForSide } from "./params.ts";
import { type CorruptionName, isCorruptionName } from "./registry.ts";
import { corruptedRows } from "./corrupted_rows.ts";
import type { CorruptRequest } from "./corrupt_worker.ts";
import { ThreadPool } from "../parallel/thread_pool.ts";

/** The file that describes a folder of corrupted sets; written last, so its presence marks a complete folder. */
export const CORRUPTED_META = "meta.json";

const FORMAT = 1;

const metaSchema = z.strictObject({
  format: z.literal(FORMAT),
  seed: z.number().int(),
  limit: z.number().int().positive().nullable(),
  corruptions: z.array(z.string().refine(isCorruptionName, { error: "unknown corruption" })).min(1),
  severities: z.array(z.number().int().min(1).max(5)).min(1),
  subset: z.array(z.number().int().nonnegative()).min(1),
  shape: z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]),
  table: z.string(),
  clean_sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

/** What a folder of corrupted sets holds (its `meta.json`). */
export type CorruptedMeta = z.infer<typeof metaSchema> & { corruptions: CorruptionName[] };

/** Which sets to make. */
export interface CorruptedSetsConfig {
  corruptions: readonly CorruptionName[];
  /** Sorted, unique. */
  severities: readonly number[];
  seed: number;
  /** Size of the seeded stratified test subset (null or ≥ the split: every test image). */
  limit: number | null | undefined;
}

/**
 * The test images a corruption evaluation uses: a stratified sample of `limit` drawn with `seed` (the same draw
 * for generated sets and for the official files' rows), or every index when `limit` is absent or not smaller.
 */
export function corruptionSubset(
  labels: Uint8Array,
  limit: number | null | undefined,
  seed: number,
): Uint32Array {
  return limit && limit < labels.length
    ? stratifiedSample(labels, limit, deriveSeed(seed, "corrupt-subset"))
    : Uint32Array.from({ length: labels.length }, (_, i) => i);
}

/** Rows `indices` of `split`: their uint8 images concatenated, and their labels. */
export function subsetRows(
  split: PreparedSplit,
  indices: ArrayLike<number>,
): { images: Uint8Array; labels: Uint8Array } {
  const size = split.shape[0] * split.shape[1] * split.shape[2];
  const images = new Uint8Array(indices.length * size);
  const labels = new Uint8Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    images.set(split.images.subarray(indices[k] * size, (indices[k] + 1) * size), k * size);
    labels[k] = split.labels[indices[k]];
  }
  return { images, labels };
}

/** The default number of corruption threads: one per core, at most 8. */
export function defaultCorruptWorkers(): number {
  return Math.max(1, Math.min(8, navigator.hardwareConcurrency || 1));
}

/**
 * Corrupts the test subset of `split` under every corruption × severity of `cfg` and writes the folder `dir`
 * (replacing what was there); `progress` hears of each corruption done. The corruptions are made on `workers`
 * threads (default {@link defaultCorruptWorkers}; 0: on this thread), the same bytes either way
 * (corrupted_rows.ts). Returns the folder's meta.
 */
export async function writeCorruptedSets(
  dir: string,
  split: PreparedSplit,
  cfg: CorruptedSetsConfig,
  progress: (done: number, total: number, label: string) => void = () => {},
  workers = defaultCorruptWorkers(),
): Promise<CorruptedMeta> {
  const shape = split.shape;
  const subset = corruptionSubset(split.labels, cfg.limit, cfg.seed);
  const clean = subsetRows(split, subset).images;
  await Deno.remove(dir, { recursive: true }).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
  await Deno.mkdir(dir, { recursive: true });
  const header = encodeNpyHeader("|u1", [cfg.severities.length * subset.length, ...shape]);
  const threads = workers > 0 ? Math.min(workers, cfg.corruptions.length) : 0;
  const pool = threads > 0
    ? new ThreadPool<CorruptRequest, Uint8Array>(
      "corrupt-data",
      new URL("./corrupt_worker.ts", import.meta.url),
      threads,
    )
    : null;
  let done = 0;
  const write = async (name: CorruptionName, rows: Uint8Array) => {
    const file = new Uint8Array(header.length + rows.length);
    file.set(header);
    file.set(rows, header.length);
    await Deno.writeFile(join(dir, `${name}.npy`), file);
    progress(++done, cfg.corruptions.length, name);
  };
  if (!pool) {
    for (const name of cfg.corruptions) {
      await write(name, corruptedRows(clean, shape, subset, name, cfg.severities, cfg.seed));
    }
  } else {
    try {
      await Promise.all(cfg.corruptions.map(async (name) => {
        const request = { clean, shape, subset, name, severities: [...cfg.severities], seed: cfg.seed };
        await write(name, await pool.run(request));
      }));
    } finally {
      pool.close();
    }
  }
  const meta: CorruptedMeta = {
    format: FORMAT,
    seed: cfg.seed,
    limit: cfg.limit ?? null,
    corruptions: [...cfg.corruptions],
    severities: [...cfg.severities],
    subset: Array.from(subset),
    shape: [...shape],
    table: tableForSide(shape[0]).name,
    clean_sha256: await sha256Hex(clean),
  };
  const metaPath = join(dir, CORRUPTED_META);
  await Deno.writeTextFile(`${metaPath}.tmp`, JSON.stringify(meta) + "\n");
  await Deno.rename(`${metaPath}.tmp`, metaPath);
  return meta;
}

/** An opened folder of corrupted sets. */
export interface CorruptedSets {
  readonly meta: CorruptedMeta;
  /** The n corrupted images of (`name`, `severity`), in subset order; throws naming the file if absent. */
  read(name: CorruptionName, severity: number): Promise<Uint8Array>;
}

/** Opens the folder `dir` written by {@link writeCorruptedSets}; throws naming the file and the fix. */
export async function openCorruptedSets(dir: string): Promise<CorruptedSets> {
  const metaPath = join(dir, CORRUPTED_META);
  let text: string;
  try {
    text = await Deno.readTextFile(metaPath);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    throw new Error(
      `${metaPath}: not found; the corrupted sets are made by stage corrupt-data ` +
        `(deno task repro corrupt-data, or deno run -A stages/corrupt_data.ts)`,
    );
  }
  let parsed;
  try {
    parsed = metaSchema.safeParse(JSON.parse(text));
  } catch (e) {
    throw new Error(`${metaPath}: not JSON (${(e as Error).message}); rerun stage corrupt-data`);
  }
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new Error(`${metaPath}: ${issues.join("; ")}; rerun stage corrupt-data`);
  }
  const meta = parsed.data as CorruptedMeta;
  const n = meta.subset.length;
  return {
    meta,
    async read(name, severity) {
      const s = meta.severities.indexOf(severity);
      if (!meta.corruptions.includes(name) || s < 0) {
        throw new Error(
          `${dir}: holds no ${name} at severity ${severity} (it has ${meta.corruptions.join(", ")} at ` +
            `severities ${
              meta.severities.join(", ")
            }); rerun stage corrupt-data with the same corrupt params`,
        );
      }
      const path = join(dir, `${name}.npy`);
      const rows = await readNpyRows(path, s * n, n);
      const want = [meta.severities.length * n, ...meta.shape];
      if (rows.header.descr !== "|u1" || rows.header.shape.join(",") !== want.join(",")) {
        throw new Error(
          `${path}: ${rows.header.descr} (${rows.header.shape.join(", ")}), expected |u1 (${
            want.join(", ")
          }) ` +
            `as ${metaPath} says; rerun stage corrupt-data`,
        );
      }
      return rows.raw;
    },
  };
}
