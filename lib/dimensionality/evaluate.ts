/**
 * The measurement of `measure-dimensionality` (docs/method.md §6) for one trained network: on a fixed seeded
 * class-stratified sample of test images, PCA components and participation ratio of every tap's clean
 * representation X, of ΔX = X_pert − X_clean and of X_pert, for each corruption × severity and each attack × ε;
 * with `matchNorm`, also each corruption rescaled per image to the L2 norm of the first attack's perturbation of
 * that image (docs/method.md §6 step 7), so that corruption and adversarial ΔX can be compared at matched
 * input-space size. Each condition records the size of its input perturbation (mean L2 and L∞ over images).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { type AttackName, type AttackSettings, runAttack } from "../attacks/registry.ts";
import { inferenceLogits } from "../attacks/model.ts";
import { type CorruptionName, corruptionRng, corruptStored } from "../corruptions/registry.ts";
import { imageTensor } from "../data/pixels.ts";
import type { PreparedSplit } from "../data/prepared.ts";
import type { ImageShape } from "../data/dataset.ts";
import { stratifiedSample } from "../data/split.ts";
import { withSelectivityOutputs } from "../models/multi_output.ts";
import { selectivityLayersOf } from "../models/registry.ts";
import { deriveSeed } from "../random.ts";
import { featureSpec, type Representation } from "./features.ts";
import { defaultEigenWorkers, EigenPool } from "../linalg/eigen_pool.ts";
import {
  dimensionalitiesOfMoments,
  perturbationDimensionalityOf,
  queuePerturbationMoments,
} from "./measure.ts";
import { queueMomentMatrices } from "./pca.ts";
import { type QueuedRepresentations, queueLayerRepresentations } from "./representations.ts";
import type { SpectrumDimensionality } from "./spectrum.ts";

/**
 * Conditions queued on the device whose reads are not yet waited for, at most: each holds its moment matrices
 * (layers × N² floats: 48 MB for the cnn at N = 2,000) until read. The default run's 9 conditions all fit.
 */
export const MAX_CONDITIONS_IN_FLIGHT = 16;

/** One attack condition: `eps` in pixel units, `label` as it appears in condition ids (e.g. "4/255"). */
export interface DimAttack {
  name: AttackName;
  eps: number;
  label: string;
}

/** What to measure. */
export interface DimensionalityConfig {
  nSamples: number;
  seed: number;
  representation: Representation;
  maxFeatures: number | null;
  varianceThreshold: number;
  corruptions: readonly CorruptionName[];
  severities: readonly number[];
  attacks: readonly DimAttack[];
  /** Add corruption conditions rescaled to the first attack's per-image L2 norm. */
  matchNorm: boolean;
  /** Also measure X_pert itself (the secondary view dim(X_pert) − dim(X_clean)); doubles the PCA work. */
  perturbedDims: boolean;
  attack: AttackSettings;
  batchSize: number;
}

/** A dimensionality record as written to the metrics file. */
export interface DimRecord {
  components: number;
  participation_ratio: number;
  total_variance: number;
}

/** The size of an input perturbation: mean over images of ‖x_pert − x‖₂ and ‖x_pert − x‖∞ (pixels in [0, 1]). */
export interface InputNorm {
  l2: number;
  linf: number;
}

/** One perturbation condition's measurements. */
export interface DimCondition {
  id: string;
  kind: "corruption" | "corruption_matched" | "attack";
  name: string;
  severity?: number;
  eps?: number;
  /** For `corruption_matched`: the attack condition whose per-image L2 norms were matched. */
  matched_to?: string;
  input_norm: InputNorm;
  accuracy: number;
  layers: {
    name: string;
    delta: DimRecord;
    /** Present when `perturbedDims` was set. */
    perturbed?: DimRecord;
    perturbed_minus_clean_components?: number;
  }[];
}

/** The result for one network (the metrics file minus run identity, backend and timings). */
export interface DimensionalityResult {
  n_samples: number;
  clean_accuracy: number;
  layers: {
    name: string;
    features: number;
    features_used: number;
    /** The most components any measurement of this layer can have: min(N − 1, features used). */
    rank_ceiling: number;
    clean: DimRecord;
  }[];
  conditions: DimCondition[];
  /** One flat record per (condition, measure, layer), for plots. */
  rows: Record<string, unknown>[];
}

/**
 * Seconds spent per phase. The PCA's two parts: `gram`, queueing the moment matrices (and reading the clean
 * ones, and the oldest condition's when {@link MAX_CONDITIONS_IN_FLIGHT} are queued); the float64
 * eigensolves, on workers meanwhile, `eigen_cpu` summed over workers, and `eigen_wait` the main thread's wait,
 * once every condition was queued, for the last reads and solves.
 */
export interface DimTiming {
  forward: number;
  gram: number;
  eigen_wait: number;
  eigen_cpu: number;
  corrupt: number;
  attack: number;
}

function record(d: SpectrumDimensionality): DimRecord {
  return {
    components: d.components,
    participation_ratio: d.participationRatio,
    total_variance: d.totalVariance,
  };
}

function accuracy(pred: Int32Array, labels: Uint8Array): number {
  let hits = 0;
  for (let i = 0; i < labels.length; i++) if (pred[i] === labels[i]) hits++;
  return hits / labels.length;
}

/** Per-image L2 norms of x − x0, on the backend. */
export function l2Norms(x: tf.Tensor4D, x0: tf.Tensor4D): tf.Tensor1D {
  return tf.tidy(() => tf.sqrt(tf.sum(tf.square(tf.sub(x, x0)), [1, 2, 3])));
}

/** The mean per-image L2 and L∞ sizes of x − x0, queued on the backend; `read` takes them. */
function queueInputNorm(x: tf.Tensor4D, x0: tf.Tensor4D): { read(): Promise<InputNorm> } {
  const l2 = l2Norms(x, x0);
  const linf = tf.tidy(() => tf.max(tf.abs(tf.sub(x, x0)), [1, 2, 3]));
  const mean = (v: ArrayLike<number>) => Array.from(v).reduce((s, a) => s + a, 0) / v.length;
  return {
    async read() {
      try {
        const [l2s, lis] = await Promise.all([l2.data(), linf.data()]);
        return { l2: mean(Float64Array.from(l2s)), linf: mean(lis) };
      } finally {
        tf.dispose([l2, linf]);
      }
    },
  };
}

/**
 * x0 + (x − x0)·target_i/‖x − x0‖₂ per image i, clipped to [0, 1]; an image with no perturbation stays x0.
 * All on the backend, nothing read: `target` [B] is a tensor of norms (e.g. another perturbation's
 * {@link l2Norms}). Each scale is the float32 quotient of two float32 norms, which is the float32 rounding of
 * their float64 quotient (a correctly rounded division rounded twice is rounded once, as 53 ≥ 2·24 + 2); on the
 * CPU backends that is the scale the float64 version of this function computed, to the bit.
 *
 * @example
 * ```ts
 * const matched = rescalePerImage(xFog, xClean, l2Norms(xAdv, xClean)); // fog's direction, PGD's size
 * ```
 */
export function rescalePerImage(x: tf.Tensor4D, x0: tf.Tensor4D, target: tf.Tensor1D): tf.Tensor4D {
  return tf.tidy(() => {
    const own = l2Norms(x, x0);
    const scale = tf.where(tf.greater(own, 0), tf.div(target, own), tf.zerosLike(own));
    return tf.clipByValue(
      tf.add(x0, tf.mul(tf.sub(x, x0), tf.reshape(scale, [x.shape[0], 1, 1, 1]))),
      0,
      1,
    ) as tf.Tensor4D;
  });
}

/**
 * Measures one network (see the module doc). `log` receives one line per condition, in order. Each condition
 * is queued on the device and its reads started without waiting for them, so only the attacks wait for the
 * device before the end; the eigensolves run on worker threads (lib/linalg/eigen_pool.ts) as each condition's
 * moment matrices arrive, with the same bits as on the main thread. `eigen` is the pool to use (kept
 * open, e.g. the process's `sharedEigenPool()`) or the number of workers of a pool made and closed here.
 *
 * @example
 * ```ts
 * const { result } = await measureDimensionality(model, data.test, data.meta.shape, config, console.log);
 * result.layers[0].clean.components;
 * ```
 */
export async function measureDimensionality(
  model: tfl.LayersModel,
  test: PreparedSplit,
  shape: ImageShape,
  cfg: DimensionalityConfig,
  log: (line: string) => void = () => {},
  progress: (done: number, total: number, label: string) => void = () => {},
  eigen: EigenPool | number = defaultEigenWorkers(),
): Promise<{ result: DimensionalityResult; timing: DimTiming }> {
  if (eigen instanceof EigenPool) return await measureWithPool(model, test, shape, cfg, log, progress, eigen);
  const pool = new EigenPool(eigen);
  try {
    return await measureWithPool(model, test, shape, cfg, log, progress, pool);
  } finally {
    pool.close();
  }
}

async function measureWithPool(
  model: tfl.LayersModel,
  test: PreparedSplit,
  shape: ImageShape,
  cfg: DimensionalityConfig,
  log: (line: string) => void,
  progress: (done: number, total: number, label: string) => void,
  pool: EigenPool,
): Promise<{ result: DimensionalityResult; timing: DimTiming }> {
  const timing: DimTiming = { forward: 0, gram: 0, eigen_wait: 0, eigen_cpu: 0, corrupt: 0, attack: 0 };
  const solvedBefore = pool.solveSeconds; // a shared pool has solved other networks' matrices before
  /** Adds the time `f` takes to `phase`: until its promise settles when it returns one. */
  const clock = <T>(phase: "forward" | "gram" | "eigen_wait" | "corrupt" | "attack", f: () => T): T => {
    const t0 = performance.now();
    const add = () => {
      timing[phase] += (performance.now() - t0) / 1000;
    };
    let out: T;
    try {
      out = f();
    } catch (e) {
      add();
      throw e;
    }
    if (out instanceof Promise) return out.finally(add) as T;
    add();
    return out;
  };
  const { selectivityLayers } = selectivityLayersOf(model);
  const tap = withSelectivityOutputs(model, selectivityLayers);
  const size = shape[0] * shape[1] * shape[2];
  const rows = stratifiedSample(test.labels, cfg.nSamples, deriveSeed(cfg.seed, "dim-subset"));
  const n = rows.length;
  const labels = Uint8Array.from(rows, (r) => test.labels[r]);
  const cleanBytes = new Uint8Array(n * size);
  rows.forEach((r, k) => cleanBytes.set(test.images.subarray(r * size, (r + 1) * size), k * size));
  const specs = tap.outputs.slice(1).map((o, l) =>
    featureSpec(
      selectivityLayers[l],
      o.shape.slice(1) as number[],
      cfg.representation,
      cfg.maxFeatures,
      cfg.seed,
    )
  );
  // Each condition queues its forward pass, its moment matrices and its input norms on the device, then reads
  // them in one go: on webgpu every read waits for the GPU to finish what is queued, then 10 ms more.
  const forward = (x: tf.Tensor4D): QueuedRepresentations =>
    clock("forward", () => queueLayerRepresentations(tap, x, specs, cfg.batchSize));

  const xClean = imageTensor(cleanBytes, shape);
  const cleanQueued = forward(xClean);
  const cleanMomentsQueued = clock("gram", () => queueMomentMatrices(cleanQueued.features));
  const [cleanPredictions, cleanMoments] = await clock(
    "gram",
    () => Promise.all([cleanQueued.readPredictions(), cleanMomentsQueued.read()]),
  );
  const clean = { features: cleanQueued.features, predictions: cleanPredictions };
  const plotRows: Record<string, unknown>[] = [];
  const cleanDims: Promise<DimRecord[]> = dimensionalitiesOfMoments(cleanMoments, cfg.varianceThreshold, pool)
    .then((dims) => dims.map(record));
  // Each condition's results are booked in order, as its eigenvalues arrive, after the previous one's.
  let booked: Promise<unknown> = cleanDims.then((dims) => {
    plotRows.push(...selectivityLayers.map((layer, l) => ({
      condition: "clean",
      kind: "clean",
      measure: "clean",
      layer,
      layer_index: l,
      ...dims[l],
    })));
    log(`clean components ${dims.map((d) => d.components).join(" ")}`);
  });
  booked.catch(() => {}); // awaited at the end; meanwhile a failure must not count as unhandled

  const conditions: DimCondition[] = [];
  /** The reads of the conditions queued and not yet read, oldest first (at most MAX_CONDITIONS_IN_FLIGHT). */
  const inFlight: Promise<unknown>[] = [];
  const measure = async (
    condition: Omit<DimCondition, "accuracy" | "layers" | "input_norm">,
    x: tf.Tensor4D,
  ): Promise<void> => {
    // Each queued condition holds its moment matrices on the device until read: bound them (the paper's N and
    // corruption grid would hold gigabytes).
    if (inFlight.length >= MAX_CONDITIONS_IN_FLIGHT) await clock("gram", () => inFlight.shift()!);
    const normQueued = queueInputNorm(x, xClean);
    const reps = forward(x);
    const momentsQueued = clock("gram", () => {
      try {
        return queuePerturbationMoments(clean.features, reps.features, cfg.perturbedDims);
      } finally {
        tf.dispose(reps.features);
      }
    });
    // The reads start now and are not waited for: the next condition is queued meanwhile (on webgpu a read
    // resolves only once the GPU has drained the queue, so reads waited for one by one leave it idle).
    const reads = Promise.all([normQueued.read(), reps.readPredictions(), momentsQueued.read()]);
    inFlight.push(reads.catch(() => {})); // a failed read fails `booked`, awaited at the end
    const solved = reads.then(([norm, predictions, pending]) =>
      perturbationDimensionalityOf(pending, cfg.varianceThreshold, pool).then((perLayer) => ({
        norm,
        predictions,
        perLayer,
      }))
    );
    booked = Promise.all([booked, solved, cleanDims]).then(
      ([, { norm, predictions, perLayer }, cleanDims]) => {
        const layers = perLayer.map((d, l) => ({
          name: selectivityLayers[l],
          delta: record(d.delta),
          ...(d.perturbed
            ? {
              perturbed: record(d.perturbed),
              perturbed_minus_clean_components: d.perturbed.components - cleanDims[l].components,
            }
            : {}),
        }));
        conditions.push({
          ...condition,
          input_norm: norm,
          accuracy: accuracy(predictions, labels),
          layers,
        });
        progress(conditions.length, nConditions, condition.id);
        for (const [l, layer] of layers.entries()) {
          for (const m of ["delta", "perturbed"] as const) {
            if (!layer[m]) continue;
            plotRows.push({
              condition: condition.id,
              kind: condition.kind,
              measure: m,
              layer: layer.name,
              layer_index: l,
              ...layer[m],
            });
          }
        }
        log(
          `${condition.id} (input L2 ${norm.l2.toFixed(3)}) ΔX components ${
            layers.map((l) => l.delta.components).join(" ")
          }`,
        );
      },
    );
    booked.catch(() => {});
  };

  const nCorruptions = cfg.corruptions.length * new Set(cfg.severities).size;
  const nConditions = cfg.attacks.length + nCorruptions * (cfg.matchNorm && cfg.attacks.length > 0 ? 2 : 1);
  // Attacks first: the matched corruptions take their per-image sizes from the first attack.
  const f = inferenceLogits(model);
  let reference: { id: string; l2: tf.Tensor1D } | null = null;
  for (const { name, eps, label } of cfg.attacks) {
    const xAdv = await clock("attack", async () => {
      const parts: tf.Tensor4D[] = [];
      for (let s0 = 0; s0 < n; s0 += cfg.batchSize) {
        const b = Math.min(cfg.batchSize, n - s0);
        const xb = tf.slice(xClean, [s0, 0, 0, 0], [b, -1, -1, -1]);
        const yb = tf.tensor1d(labels.subarray(s0, s0 + b), "int32");
        parts.push(await runAttack(name, f, xb, yb, eps, cfg.attack, rows.subarray(s0, s0 + b)));
        tf.dispose([xb, yb]);
      }
      const joined = parts.length === 1 ? parts[0] : tf.concat(parts, 0);
      if (parts.length > 1) tf.dispose(parts);
      return joined;
    });
    const id = `${name}-${label}`;
    if (reference === null) reference = { id, l2: l2Norms(xAdv, xClean) };
    await measure({ id, kind: "attack", name, eps }, xAdv);
    xAdv.dispose();
  }

  for (const name of cfg.corruptions) {
    for (const severity of [...new Set(cfg.severities)].sort()) {
      const bytes = await clock("corrupt", () => {
        const out = new Uint8Array(n * size);
        rows.forEach((r, k) => {
          const img = cleanBytes.subarray(k * size, (k + 1) * size);
          out.set(
            corruptStored(img, shape, name, severity, corruptionRng(cfg.seed, name, severity, r)),
            k * size,
          );
        });
        return Promise.resolve(out);
      });
      const x = imageTensor(bytes, shape);
      await measure({ id: `${name}-${severity}`, kind: "corruption", name, severity }, x);
      if (cfg.matchNorm && reference !== null) {
        const matched = rescalePerImage(x, xClean, reference.l2);
        await measure(
          {
            id: `${name}-${severity}@${reference.id}`,
            kind: "corruption_matched",
            name,
            severity,
            matched_to: reference.id,
          },
          matched,
        );
        matched.dispose();
      }
      x.dispose();
    }
  }
  tf.dispose([xClean, ...clean.features]);
  reference?.l2.dispose();
  await clock("eigen_wait", () => booked);
  timing.eigen_cpu = pool.solveSeconds - solvedBefore;
  const cleanRecords = await cleanDims;
  return {
    result: {
      n_samples: n,
      clean_accuracy: accuracy(clean.predictions, labels),
      layers: selectivityLayers.map((name, l) => {
        const used = specs[l].subset?.length ?? specs[l].features;
        return {
          name,
          features: specs[l].features,
          features_used: used,
          rank_ceiling: Math.min(n - 1, used),
          clean: cleanRecords[l],
        };
      }),
      conditions,
      rows: plotRows,
    },
    timing,
  };
}
