/**
 * Seeded weight initialisers. Each layer's seed is derived from the model seed and the layer's name, so one
 * model seed fixes every initial weight, and adding a layer never changes the weights of the others.
 */
import * as tfl from "@tensorflow/tfjs-layers";
import { deriveSeed } from "../random.ts";

type Initializer = ReturnType<typeof tfl.initializers.zeros>;

/** Maps a layer name to that layer's initialiser seed. */
export type LayerSeeds = (layerName: string) => number;

/**
 * Per-layer seeds of a model: `deriveSeed(modelSeed, "init", layerName)`.
 *
 * @example
 * const seeds = layerSeeds(1);
 * seeds("block1_conv"); // the same number on every run with model seed 1
 */
export function layerSeeds(modelSeed: number): LayerSeeds {
  if (!Number.isSafeInteger(modelSeed)) throw new Error(`model seed must be an integer, got ${modelSeed}`);
  return (layerName) => deriveSeed(modelSeed, "init", layerName);
}

/**
 * He (Kaiming) normal initialiser with fan-out scaling, as torchvision's ResNets use for convolutions
 * (tfjs draws from a normal truncated at two standard deviations).
 */
export function convInitializer(seed: number): Initializer {
  return tfl.initializers.varianceScaling({ scale: 2, mode: "fanOut", distribution: "normal", seed });
}

/** Uniform in ±1/sqrt(fanIn): PyTorch's default for `nn.Linear` weights. */
export function denseInitializer(seed: number): Initializer {
  return tfl.initializers.varianceScaling({ scale: 1 / 3, mode: "fanIn", distribution: "uniform", seed });
}
