/**
 * Named, seeded layer factories shared by all architectures. Every layer gets an explicit name (stable across
 * builds and processes) and, where it has random weights, a seed derived from the model seed and that name.
 */
import * as tfl from "@tensorflow/tfjs-layers";
import { convInitializer, denseInitializer, type LayerSeeds } from "./init.ts";
import { InputNormalization } from "./custom_layers.ts";
import { FastBatchNormalization } from "./fast_batch_norm.ts";
import { LazyGradConv2D } from "./lazy_grad_conv2d.ts";

/** A symbolic tensor of a functional model under construction. */
export type Sym = tfl.SymbolicTensor;

/** The graph of an architecture: logits plus the selectivity layer names, grouped by stage. */
export interface ArchitectureGraph {
  logits: Sym;
  stages: string[][];
}

/** Applies a layer to one symbolic tensor (or a list, for merge layers) and returns one symbolic tensor. */
export function connect(layer: tfl.layers.Layer, x: Sym | Sym[]): Sym {
  return layer.apply(x) as Sym;
}

/**
 * The single batch-norm factory of all models: swap the returned layer here (e.g. for a faster BN layer) and
 * every architecture follows. Channels-last; momentum 0.9 in tfjs terms (= PyTorch momentum 0.1), ε 1e-5.
 */
export function batchNorm(name: string): tfl.layers.Layer {
  return new FastBatchNormalization({ name, axis: -1, momentum: 0.9, epsilon: 1e-5 });
}

/**
 * 'same'-padded convolution without bias (a batch norm follows), He-normal fan-out init; a {@link LazyGradConv2D},
 * so input gradients do not also compute the filter's.
 */
export function conv2d(
  seeds: LayerSeeds,
  name: string,
  filters: number,
  kernelSize: number,
  strides = 1,
): tfl.layers.Layer {
  return new LazyGradConv2D({
    name,
    filters,
    kernelSize,
    strides,
    padding: "same",
    useBias: false,
    kernelInitializer: convInitializer(seeds(name)),
  });
}

/** Fully connected layer producing logits (no activation), PyTorch-style uniform init, zero bias. */
export function dense(seeds: LayerSeeds, name: string, units: number): tfl.layers.Layer {
  return tfl.layers.dense({ name, units, kernelInitializer: denseInitializer(seeds(name)) });
}

/** ReLU as its own layer, so that its output can be tapped as a selectivity layer. */
export function relu(name: string): tfl.layers.Layer {
  return tfl.layers.activation({ name, activation: "relu" });
}

/** conv → BN → ReLU; layers are named `${prefix}_conv`, `${prefix}_bn`, `${prefix}_relu`. */
export function convBnRelu(
  seeds: LayerSeeds,
  x: Sym,
  prefix: string,
  filters: number,
  kernelSize: number,
  strides = 1,
): Sym {
  const y = connect(conv2d(seeds, `${prefix}_conv`, filters, kernelSize, strides), x);
  return connect(relu(`${prefix}_relu`), connect(batchNorm(`${prefix}_bn`), y));
}

/** Per-channel input statistics; the identity (mean 0, std 1) when a model is built without them. */
export interface Normalization {
  mean: number[];
  std: number[];
}

/** The model input (named `input`) followed by the in-model normalisation layer `input_norm`. */
export function normalizedInput(inputShape: number[], normalization?: Normalization): { input: Sym; x: Sym } {
  const channels = inputShape.at(-1)!;
  const input = tfl.input({ shape: inputShape, name: "input" });
  const stats = normalization ?? { mean: Array(channels).fill(0), std: Array(channels).fill(1) };
  return { input, x: connect(new InputNormalization({ name: "input_norm", ...stats }), input) };
}
