/** Model registry: builds any project architecture by name, with seeded weights and named selectivity layers. */
import * as tfl from "@tensorflow/tfjs-layers";
import { type LayerSeeds, layerSeeds } from "./init.ts";
import { type ArchitectureGraph, type Normalization, normalizedInput, type Sym } from "./layers.ts";
import { cnnGraph } from "./cnn.ts";
import { resnet18Graph, type ResNet18Stem, resnet20Graph, resnet50Graph } from "./resnet.ts";

/** Names accepted by {@link buildModel}. */
export const MODEL_NAMES = ["cnn", "resnet20", "resnet18", "resnet50"] as const;
/** One of {@link MODEL_NAMES}. */
export type ModelName = typeof MODEL_NAMES[number];

/** Options of {@link buildModel}. */
export interface BuildModelOptions {
  /** Channels-last input shape without the batch axis, e.g. `[28, 28, 1]` or `[32, 32, 3]`. */
  inputShape: number[];
  numClasses: number;
  /** Integer; the same seed gives identical initial weights. */
  seed: number;
  /** Per-channel statistics of [0, 1] training pixels for the in-model normalisation (default: identity). */
  normalization?: Normalization;
  /** ResNet18/50 stem (docs/method.md §3 `model.stem`); default `imagenet`. Ignored by the other models. */
  stem?: ResNet18Stem;
}

/** A built model and its selectivity layers (post-ReLU block outputs whose channels are the units). */
export interface BuiltModel {
  /** Functional model: [0, 1] pixels in, logits out. */
  model: tfl.LayersModel;
  /** Selectivity layer names in forward order. */
  selectivityLayers: string[];
  /** The same names grouped by network stage (for `si.layerGrouping: stage`). */
  selectivityStages: string[][];
}

const GRAPHS: Record<
  ModelName,
  (seeds: LayerSeeds, x: Sym, classes: number, stem: ResNet18Stem) => ArchitectureGraph
> = {
  cnn: cnnGraph,
  resnet20: resnet20Graph,
  resnet18: resnet18Graph,
  resnet50: resnet50Graph,
};

/**
 * Builds a model by name. The selectivity stages are also stored in the model's user-defined metadata, so they
 * survive save/load (read them back with {@link selectivityLayersOf}).
 *
 * @example
 * const { model, selectivityLayers } = buildModel("resnet20", { inputShape: [32, 32, 3], numClasses: 10, seed: 1 });
 */
export function buildModel(name: string, options: BuildModelOptions): BuiltModel {
  if (!(MODEL_NAMES as readonly string[]).includes(name)) {
    throw new Error(`unknown model '${name}'; choose one of ${MODEL_NAMES.join(", ")}`);
  }
  const { inputShape, numClasses, seed, normalization, stem = "imagenet" } = options;
  if (inputShape.length !== 3 || !inputShape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`inputShape must be [height, width, channels] of positive integers, got [${inputShape}]`);
  }
  if (!Number.isInteger(numClasses) || numClasses < 2) {
    throw new Error(`numClasses must be an integer ≥ 2, got ${numClasses}`);
  }
  const seeds = layerSeeds(seed);
  const { input, x } = normalizedInput(inputShape, normalization);
  const graph = GRAPHS[name as ModelName](seeds, x, numClasses, stem);
  const model = tfl.model({ inputs: input, outputs: graph.logits, name });
  model.setUserDefinedMetadata({ architecture: name, selectivityStages: graph.stages });
  return { model, selectivityLayers: graph.stages.flat(), selectivityStages: graph.stages };
}

/**
 * Selectivity layers of a model made by {@link buildModel} (also after save/load), from its metadata.
 * Throws if the model carries no such metadata.
 */
export function selectivityLayersOf(model: tfl.LayersModel): Omit<BuiltModel, "model"> {
  const meta = model.getUserDefinedMetadata() as { selectivityStages?: unknown } | undefined;
  const stages = meta?.selectivityStages;
  if (
    !Array.isArray(stages) ||
    !stages.every((s) => Array.isArray(s) && s.every((n) => typeof n === "string"))
  ) {
    throw new Error(`model '${model.name}' has no selectivityStages metadata; was it built with buildModel?`);
  }
  return { selectivityLayers: (stages as string[][]).flat(), selectivityStages: stages as string[][] };
}
