/**
 * `measure-selectivity` (docs/method.md §1): the class selectivity index of every unit of every selectivity layer
 * over a labelled image set, with per-layer distributions (for plots), dead-unit shares and the network mean
 * μ_SI. The index itself is lib/selectivity (one-pass per-class means, then {@link summarizeSelectivity}).
 *
 * @module
 */
import type * as tfl from "@tensorflow/tfjs-layers";
import type { PreparedSplit } from "../data/prepared.ts";
import { withSelectivityOutputs } from "../models/multi_output.ts";
import { selectivityPass } from "../selectivity/pass.ts";
import type { LayerGrouping, SelectivitySummary } from "../selectivity/si.ts";
import { describe, type Description, type Histogram, histogram } from "./distribution.ts";

/** Options of {@link measureSelectivity}. */
export interface MeasureSelectivityOptions {
  numClasses: number;
  /** Selectivity layers by stage (lib/models `selectivityLayersOf`); layers are their concatenation. */
  stages: string[][];
  /** Rows of the split to use, in order (default: all). */
  indices?: ArrayLike<number>;
  batchSize: number;
  epsilon?: number;
  grouping?: LayerGrouping;
  /** Histogram bins over [0, 1]. */
  bins: number;
}

/** Per-layer result. */
export interface LayerSelectivityReport {
  name: string;
  units: number;
  mean_si: number;
  distribution: Description;
  histogram: Histogram;
  dead_units: number;
  dead_share: number;
  /** Per-unit SI, unit order. */
  si: number[];
}

/** What {@link measureSelectivity} returns. */
export interface SelectivityReport {
  network_mean_si: number;
  grouping: LayerGrouping;
  groups: SelectivitySummary["groups"];
  layers: LayerSelectivityReport[];
  /** Top-1 accuracy on the same images. */
  accuracy: number;
  n_images: number;
  /** Images per class. */
  class_counts: number[];
}

/**
 * Runs `model` in inference mode over the chosen rows of `split` and measures the selectivity of its layers.
 *
 * @example
 * const { selectivityStages } = selectivityLayersOf(model);
 * const r = await measureSelectivity(model, data.test, { numClasses: 10, stages: selectivityStages, batchSize: 256, bins: 20 });
 * r.network_mean_si;
 */
export async function measureSelectivity(
  model: tfl.LayersModel,
  split: PreparedSplit,
  options: MeasureSelectivityOptions,
): Promise<SelectivityReport> {
  const layers = options.stages.flat();
  const rows = options.indices
    ? Uint32Array.from(options.indices)
    : Uint32Array.from({ length: split.n }, (_, i) => i);
  if (rows.length === 0) throw new Error("measureSelectivity: no images to measure");
  const tap = withSelectivityOutputs(model, layers);
  const pass = await selectivityPass(tap, split, rows, { ...options, layers });
  const summary = pass.summary;
  if (summary === null) {
    throw new Error(
      `measureSelectivity: the network's outputs on ${rows.length} images are NaN or infinite; its weights have ` +
        "diverged (retrain it, e.g. with a lower train.lr)",
    );
  }
  return {
    network_mean_si: summary.networkMeanSI,
    grouping: summary.grouping,
    groups: summary.groups,
    layers: summary.layers.map((l) => ({
      name: l.name,
      units: l.si.length,
      mean_si: l.meanSI,
      distribution: describe(l.si),
      histogram: histogram(l.si, options.bins, 0, 1), // SI of post-ReLU units lies in [0, 1)
      dead_units: l.deadUnits,
      dead_share: l.deadUnits / l.si.length,
      si: Array.from(l.si),
    })),
    accuracy: pass.correct / rows.length,
    n_images: rows.length,
    class_counts: Array.from(pass.counts),
  };
}
