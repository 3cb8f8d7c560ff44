/**
 * Stage `measure-dimensionality`: representational dimensionality of one trained model per selectivity layer
 * (paper.md §6): the number of principal components reaching `variance_threshold` of the variance and the
 * participation ratio, of (a) clean representations X, (b) ΔX = X_corrupted − X_clean and (c) ΔX of adversarial
 * examples, on a fixed seeded class-stratified sample of test images (the same for every network and condition).
 * For (b) and (c) the dimensionality of X_pert itself is also reported (paper §6 step 5 iii).
 *
 * Run: `deno run -A stages/measure_dimensionality.ts --alpha A --seed S [--backend B] [--threads N] [--data DIR]
 * [--models DIR] [--out DIR]`. Params, section `dim` (defaults sized for CPU; paper values in brackets):
 * - `n_samples` (256 [2000]); `seed` (0): seeds the sample, the feature subset and the corruptions.
 * - `representation`: `flatten` [default] | `spatial_mean`; `max_features` (32768; null = no cap): for `flatten`, a
 *   layer with more features keeps a seeded random subset of this many coordinates (lib/dimensionality). The
 *   default leaves every layer of the CNN (≤ 25,088) and ResNet20 (≤ 16,384) exact and bounds the memory of
 *   ResNet18's large maps (N × 32768 float32 per layer and condition).
 * - `variance_threshold` (0.95).
 * - `corruptions` (list of names) × `severities` (list of 1..5), generated as in corrupt-eval (stored as uint8).
 * - `attacks`: list of `{name, eps}` (lib/attacks names, eps in [0, 1] pixel units); `pgd`
 *   (`steps`, `step_factor`, `restarts`, `random_start`), `apgd.steps`, `attack_seed`.
 * - `batch_size` (128).
 *
 * Writes `{out}/a{A}-s{S}.json` (default outputs/dimensionality): metrics, and `rows`: one flat record per
 * (condition, measure, layer) for plots.
 *
 * @module
 */
import { z } from "zod";
import * as tf from "@tensorflow/tfjs-core";
import { ATTACK_NAMES, runAttack } from "../lib/attacks/registry.ts";
import { inferenceLogits } from "../lib/attacks/model.ts";
import { corruptionRng, CORRUPTIONS, corruptStored } from "../lib/corruptions/registry.ts";
import { stratifiedSample } from "../lib/data/split.ts";
import { featureSpec } from "../lib/dimensionality/features.ts";
import { dimensionalityOf, perturbationDimensionality } from "../lib/dimensionality/measure.ts";
import { layerRepresentations, type Representations } from "../lib/dimensionality/representations.ts";
import type { SpectrumDimensionality } from "../lib/dimensionality/spectrum.ts";
import { withSelectivityOutputs } from "../lib/models/multi_output.ts";
import { selectivityLayersOf } from "../lib/models/registry.ts";
import { deriveSeed } from "../lib/random.ts";
import { openRun, parseRunArgs, parseSection, writeJson } from "./support/run_cli.ts";
import { apgdParams, attackSettings, pgdParams } from "./support/attack_params.ts";
import { stageParams } from "./support/params.ts";
import { runStage } from "./support/entry.ts";
import { stageProgress } from "./support/progress.ts";
import { backendFacts, recordRunFacts } from "./support/run_facts.ts";

const STAGE = "measure-dimensionality";

/** Schema of the `dim` section. */
export const dimSchema = z.strictObject({
  n_samples: z.number().int().min(2).default(256),
  seed: z.number().int().default(0),
  representation: z.enum(["flatten", "spatial_mean"]).default("flatten"),
  max_features: z.number().int().positive().nullable().default(32768),
  variance_threshold: z.number().gt(0).max(1).default(0.95),
  corruptions: z.array(z.enum(CORRUPTIONS)).default(["gaussian_noise", "defocus_blur", "fog", "contrast"]),
  severities: z.array(z.number().int().min(1).max(5)).default([3]),
  attacks: z.array(z.strictObject({ name: z.enum(ATTACK_NAMES), eps: z.number().gt(0).max(1) })).default([
    { name: "pgd-linf", eps: 4 / 255 },
  ]),
  pgd: pgdParams(10),
  apgd: apgdParams(20),
  attack_seed: z.number().int().default(0),
  batch_size: z.number().int().positive().default(128),
});

/** Validated `dim` params. */
export type DimParams = z.infer<typeof dimSchema>;

function toTensor(images: Uint8Array, n: number, shape: readonly number[]): tf.Tensor4D {
  return tf.tensor4d(Float32Array.from(images, (v) => v / 255), [n, shape[0], shape[1], shape[2]]);
}

function accuracy(pred: Int32Array, labels: Uint8Array): number {
  let hits = 0;
  for (let i = 0; i < labels.length; i++) if (pred[i] === labels[i]) hits++;
  return hits / labels.length;
}

/** A dimensionality record as written to the metrics file. */
interface DimRecord {
  components: number;
  participation_ratio: number;
  total_variance: number;
}

/** A dimensionality record in the metrics file's snake case. */
function record(d: SpectrumDimensionality): DimRecord {
  return {
    components: d.components,
    participation_ratio: d.participationRatio,
    total_variance: d.totalVariance,
  };
}

async function main(): Promise<void> {
  const started = performance.now();
  const args = parseRunArgs(STAGE, Deno.args, {
    data: "outputs/data",
    models: "outputs/models",
    out: "outputs/dimensionality",
  });
  const p = parseSection(STAGE, stageParams(), "dim", dimSchema);
  const { info, data, model } = await openRun(args);
  const { selectivityLayers } = selectivityLayersOf(model);
  const tap = withSelectivityOutputs(model, selectivityLayers);
  const shape = data.meta.shape;
  const size = shape[0] * shape[1] * shape[2];
  const rows = stratifiedSample(data.test.labels, p.n_samples, deriveSeed(p.seed, "dim-subset"));
  const n = rows.length;
  const cleanBytes = new Uint8Array(n * size);
  const labels = new Uint8Array(n);
  rows.forEach((r, k) => {
    cleanBytes.set(data.test.images.subarray(r * size, (r + 1) * size), k * size);
    labels[k] = data.test.labels[r];
  });
  const specs = tap.outputs.slice(1).map((o, l) =>
    featureSpec(selectivityLayers[l], o.shape.slice(1) as number[], p.representation, p.max_features, p.seed)
  );
  const threshold = p.variance_threshold;
  const timing = { forward: 0, pca: 0, corrupt: 0, attack: 0 };
  const forward = async (x: tf.Tensor4D): Promise<Representations> => {
    const t0 = performance.now();
    const reps = await layerRepresentations(tap, x, specs, p.batch_size);
    timing.forward += performance.now() - t0;
    return reps;
  };

  const xClean = toTensor(cleanBytes, n, shape);
  const clean = await forward(xClean);
  let t0 = performance.now();
  const cleanDims: DimRecord[] = [];
  for (const f of clean.features) cleanDims.push(record(await dimensionalityOf(f, threshold)));
  timing.pca += performance.now() - t0;
  const plotRows: Record<string, unknown>[] = selectivityLayers.map((layer, l) => ({
    condition: "clean",
    kind: "clean",
    measure: "clean",
    layer,
    layer_index: l,
    ...cleanDims[l],
  }));
  console.log(`${STAGE} ${args.run}: clean components ${cleanDims.map((d) => d.components).join(" ")}`);

  const conditions: Record<string, unknown>[] = [];
  const progress = stageProgress();
  const nConditions = p.corruptions.length * new Set(p.severities).size + p.attacks.length;
  const measure = async (condition: Record<string, unknown> & { id: string }, x: tf.Tensor4D) => {
    const reps = await forward(x);
    const t1 = performance.now();
    const perLayer = await perturbationDimensionality(clean.features, reps.features, threshold);
    timing.pca += performance.now() - t1;
    tf.dispose(reps.features);
    const layers = perLayer.map((d, l) => ({
      name: selectivityLayers[l],
      delta: record(d.delta),
      perturbed: record(d.perturbed),
      perturbed_minus_clean_components: d.perturbed.components - cleanDims[l].components,
    }));
    conditions.push({ ...condition, accuracy: accuracy(reps.predictions, labels), layers });
    progress.update(conditions.length, nConditions, condition.id);
    for (const [l, layer] of layers.entries()) {
      for (const m of ["delta", "perturbed"] as const) {
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
    console.log(
      `${STAGE} ${args.run}: ${condition.id} ΔX components ${
        layers.map((l) => l.delta.components).join(" ")
      }`,
    );
  };

  for (const name of p.corruptions) {
    for (const severity of [...new Set(p.severities)].sort()) {
      t0 = performance.now();
      const bytes = new Uint8Array(n * size);
      rows.forEach((r, k) => {
        const img = cleanBytes.subarray(k * size, (k + 1) * size);
        bytes.set(
          corruptStored(img, shape, name, severity, corruptionRng(p.seed, name, severity, r)),
          k * size,
        );
      });
      timing.corrupt += performance.now() - t0;
      const x = toTensor(bytes, n, shape);
      await measure({ id: `${name}-${severity}`, kind: "corruption", name, severity }, x);
      x.dispose();
    }
  }

  const settings = attackSettings(p.pgd, p.apgd, p.attack_seed);
  const f = inferenceLogits(model);
  for (const { name, eps } of p.attacks) {
    t0 = performance.now();
    const parts: tf.Tensor4D[] = [];
    for (let s0 = 0; s0 < n; s0 += p.batch_size) {
      const b = Math.min(p.batch_size, n - s0);
      const xb = tf.slice(xClean, [s0, 0, 0, 0], [b, -1, -1, -1]);
      const yb = tf.tensor1d(labels.subarray(s0, s0 + b), "int32");
      parts.push(await runAttack(name, f, xb, yb, eps, settings, rows.subarray(s0, s0 + b)));
      tf.dispose([xb, yb]);
    }
    const xAdv = parts.length === 1 ? parts[0] : tf.concat(parts, 0);
    if (parts.length > 1) tf.dispose(parts);
    timing.attack += performance.now() - t0;
    await measure({ id: `${name}-${eps.toPrecision(4)}`, kind: "attack", name, eps }, xAdv);
    xAdv.dispose();
  }
  tf.dispose([xClean, ...clean.features]);

  const seconds = (performance.now() - started) / 1000;
  const path = await writeJson(args.out, `${args.run}.json`, {
    run: args.run,
    alpha: Number(args.alpha),
    seed: Number(args.seed),
    dataset: data.meta.dataset,
    params: { dim: p },
    n_samples: n,
    clean_accuracy: accuracy(clean.predictions, labels),
    layers: selectivityLayers.map((name, l) => ({
      name,
      features: specs[l].features,
      features_used: specs[l].subset?.length ?? specs[l].features,
      clean: cleanDims[l],
    })),
    conditions,
    rows: plotRows,
  });
  await recordRunFacts({
    ...backendFacts(info),
    time_s: {
      total: seconds,
      forward: timing.forward / 1000,
      pca: timing.pca / 1000,
      corrupt: timing.corrupt / 1000,
      attack: timing.attack / 1000,
    },
  });
  console.log(`${STAGE} ${args.run}: -> ${path} in ${seconds.toFixed(1)} s (${info.device})`);
}

if (import.meta.main) await runStage(main);
