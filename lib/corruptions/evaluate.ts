/**
 * The measurement of `corrupt-eval` (docs/method.md §4) for one trained network: clean accuracy on a seeded
 * stratified test subset, accuracy per (corruption, severity) on the generated corruptions of that subset
 * (made once for every network by `corrupt-data`, corrupted_sets.ts) or on the official CIFAR-10-C /
 * Tiny-ImageNet-C files, and example grids (one row per example image: clean first when generated, then the
 * severities).
 *
 * @module
 */
import type * as tfl from "@tensorflow/tfjs-layers";
import type { ImageShape } from "../data/dataset.ts";
import type { PreparedSplit } from "../data/prepared.ts";
import { sha256Hex } from "../data/digest.ts";
import * as tf from "@tensorflow/tfjs-core";
import { accuracyOf, predictClassesOnBackend } from "../eval/predict.ts";
import { encodePng } from "../eval/png.ts";
import type { AccuracyTable } from "./metrics.ts";
import { type CorruptedSet, loadCifar10C, loadTinyImagenetC } from "./official.ts";
import { type CorruptedSets, corruptionSubset, subsetRows } from "./corrupted_sets.ts";
import type { CorruptionName } from "./registry.ts";

/** What to evaluate (the stage's `corrupt` params, resolved). */
export interface CorruptionEvalConfig {
  corruptions: readonly CorruptionName[];
  /** Sorted, unique. */
  severities: readonly number[];
  seed: number;
  batchSize: number;
  limit: number | null | undefined;
  /** The generated sets (stage `corrupt-data`), read when `officialDir` is not given. */
  corrupted: CorruptedSets | null;
  officialDir: string | null | undefined;
  officialWnids: string | null | undefined;
  /** Example images per corruption in the PNG grids (0: none). */
  examples: number;
  /** The dataset name (Tiny ImageNet's official files are read by wnid). */
  dataset: string;
}

/** The result of {@link evaluateCorruptions}. */
export interface CorruptionEvaluation {
  clean: number;
  accuracy: AccuracyTable;
  /** Test images evaluated (the subset). */
  images: number;
  /** Corruption name → PNG of its example grid (absent when `examples` is 0). */
  examplePngs: Map<string, Uint8Array>;
  /** Seconds spent reading the corrupted sets (or the official files) and predicting. */
  timing: { read: number; predict: number };
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

/**
 * Evaluates `model` on the test `split` under every corruption × severity of `cfg`; `log` receives one line per corruption.
 *
 * @example
 * ```ts
 * const r = await evaluateCorruptions(model, data.test, data.meta.shape, cfg, console.log);
 * r.accuracy.fog["3"]; // accuracy under fog at severity 3
 * ```
 */
export async function evaluateCorruptions(
  model: tfl.LayersModel,
  split: PreparedSplit,
  shape: ImageShape,
  cfg: CorruptionEvalConfig,
  log: (line: string) => void = () => {},
  progress: (done: number, total: number, label: string) => void = () => {},
): Promise<CorruptionEvaluation> {
  const names = cfg.corruptions;
  const severities = cfg.severities;
  const [h, w, c] = shape;
  const size = h * w * c;
  const subset = corruptionSubset(split.labels, cfg.limit, cfg.seed);
  const test = subsetRows(split, subset);
  if (!cfg.officialDir) await checkCorruptedSets(cfg, test.images);
  let predictMs = 0, readMs = 0;
  /**
   * The predictions of every set, in the order they were queued (clean first), left on the backend: one read
   * takes them all at the end, so the dispatch of a set never waits for the GPU to finish the one before
   * (lib/eval/predict.ts). `predict` time counts the queueing and that read.
   */
  const queued: { classes: tf.Tensor1D; labels: Uint8Array }[] = [];
  const queuePredict = (images: Uint8Array, labels: Uint8Array): number => {
    const t0 = performance.now();
    queued.push({ classes: predictClassesOnBackend(model, images, shape, cfg.batchSize), labels });
    predictMs += performance.now() - t0;
    return queued.length - 1;
  };
  queuePredict(test.images, test.labels);

  let officialIndices: Uint32Array | null = null;
  const officialSet = async (name: CorruptionName, severity: number): Promise<CorruptedSet> => {
    const dir = cfg.officialDir!;
    if (cfg.dataset === "tiny-imagenet") {
      if (!cfg.officialWnids) {
        throw new Error("corrupt-eval: corrupt.official_wnids (Tiny ImageNet wnids.txt) is required");
      }
      const wnids = (await Deno.readTextFile(cfg.officialWnids)).split(/\r?\n/).map((s) => s.trim()).filter(
        Boolean,
      );
      const set = await loadTinyImagenetC(dir, name, severity, wnids, h);
      if (!cfg.limit || cfg.limit >= set.n) return set;
      const keep = corruptionSubset(set.labels, cfg.limit, cfg.seed);
      return { ...subsetRows(set, keep), n: keep.length, shape: set.shape };
    }
    if (officialIndices === null) {
      const all = await loadCifar10C(dir, name, 1);
      officialIndices = corruptionSubset(all.labels, cfg.limit, cfg.seed);
    }
    return await loadCifar10C(dir, name, severity, officialIndices);
  };

  const nExamples = Math.min(cfg.examples, subset.length);
  const examplePngs = new Map<string, Uint8Array>();
  const setOf = new Map<CorruptionName, number[]>();
  for (const [i, name] of names.entries()) {
    const sets: number[] = [];
    setOf.set(name, sets);
    const exampleCells: Uint8Array[][] = Array.from({ length: nExamples }, () => []);
    for (const severity of severities) {
      const t0 = performance.now();
      let set: { images: Uint8Array; labels: Uint8Array };
      if (cfg.officialDir) {
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
        set = { images: await cfg.corrupted!.read(name, severity), labels: test.labels };
      }
      readMs += performance.now() - t0;
      sets.push(queuePredict(set.images, set.labels));
      progress(
        i * severities.length + severities.indexOf(severity) + 1,
        names.length * severities.length,
        `${name} severity ${severity}`,
      );
      for (let k = 0; k < nExamples; k++) {
        if (severity === severities[0] && !cfg.officialDir) {
          exampleCells[k].push(test.images.subarray(k * size, (k + 1) * size));
        }
        exampleCells[k].push(set.images.subarray(k * size, (k + 1) * size));
      }
    }
    if (nExamples > 0) {
      const cols = severities.length + (cfg.officialDir ? 0 : 1);
      const pixels = grid(exampleCells.flat(), nExamples, cols, h, w, c);
      examplePngs.set(name, encodePng(pixels, nExamples * h, cols * w, c as 1 | 3));
    }
  }

  const accuracies = await readAccuracies(queued, (ms) => predictMs += ms);
  const clean = accuracies[0];
  log(`clean accuracy ${clean.toFixed(4)} on ${subset.length} test images`);
  const accuracy: AccuracyTable = {};
  for (const [name, sets] of setOf) {
    accuracy[name] = Object.fromEntries(severities.map((s, k) => [String(s), accuracies[sets[k]]]));
    log(`${name} ${sets.map((k) => accuracies[k].toFixed(3)).join(" ")}`);
  }

  return {
    clean,
    accuracy,
    images: subset.length,
    examplePngs,
    timing: { read: readMs / 1000, predict: predictMs / 1000 },
  };
}

/**
 * The accuracy of each queued set: their predicted classes concatenated and read at once (then disposed);
 * `spent` receives the milliseconds the read took.
 */
async function readAccuracies(
  queued: readonly { classes: tf.Tensor1D; labels: Uint8Array }[],
  spent: (ms: number) => void,
): Promise<number[]> {
  const t0 = performance.now();
  const all = queued.length === 1 ? queued[0].classes : tf.concat(queued.map((q) => q.classes));
  let classes: Int32Array;
  try {
    classes = await all.data() as Int32Array;
  } finally {
    all.dispose();
    tf.dispose(queued.map((q) => q.classes));
  }
  spent(performance.now() - t0);
  let offset = 0;
  return queued.map((q) => {
    const predicted = classes.subarray(offset, offset + q.labels.length);
    offset += q.labels.length;
    return accuracyOf(predicted, q.labels);
  });
}

/**
 * Throws unless `cfg.corrupted` holds the sets `cfg` asks for, made from these clean images: the seed, the
 * subset size and the clean bytes must match (a folder made for other params or other data would otherwise
 * give wrong accuracies silently).
 */
async function checkCorruptedSets(cfg: CorruptionEvalConfig, clean: Uint8Array): Promise<void> {
  if (!cfg.corrupted) {
    throw new Error("corrupt-eval: no corrupted sets given (stage corrupt-data makes them)");
  }
  const meta = cfg.corrupted.meta;
  const mismatch = meta.seed !== cfg.seed
    ? `seed ${meta.seed}, not ${cfg.seed}`
    : (meta.limit ?? null) !== (cfg.limit ?? null)
    ? `limit ${meta.limit}, not ${cfg.limit ?? null}`
    : meta.clean_sha256 !== await sha256Hex(clean)
    ? "other test images (the prepared data changed since)"
    : null;
  if (mismatch) {
    throw new Error(
      `corrupt-eval: the corrupted sets were made with ${mismatch}; rerun stage corrupt-data with the same ` +
        `corrupt params and data`,
    );
  }
}
