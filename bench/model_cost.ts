/**
 * What a network costs per image, from lib/models' own definitions: multiply-accumulates of one forward pass
 * (convolutions and dense layers, which are nearly all of it) and trainable parameters, each as a ratio to
 * ResNet20 on Fashion-MNIST's 28×28×1 (issue 17's run). A training step is about three forward passes of work.
 * Used to say what a grid of another architecture or input size would cost on the device, scaled from the
 * ResNet20 grid's measured device time (bench/gpu/README.md).
 *
 *   deno run -A bench/model_cost.ts [--models resnet20:28x28x1,resnet18:64x64x1,...]
 *
 * Each entry is `name:HxWxC` or `name:HxWxC:stem` (stem `imagenet` or `cifar`, for resnet18/50).
 *
 * @module
 */
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { initBackend } from "../lib/backends/select.ts";
import { buildModel, type ModelName } from "../lib/models/registry.ts";

const DEFAULT = "resnet20:28x28x1,cnn:28x28x1,resnet18:64x64x1,resnet18:64x64x1:cifar,resnet18:64x64x3";

/** Forward multiply-accumulates per image and trainable parameters of `model`. */
export function modelCost(model: tfl.LayersModel): { macs: number; params: number } {
  let macs = 0;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    if (cls === "Conv2D") {
      const out = layer.outputShape as number[];
      const inChannels = (layer.input as tfl.SymbolicTensor).shape[3]!;
      const [kh, kw] = layer.getConfig().kernelSize as number[];
      macs += out[1] * out[2] * out[3] * kh * kw * inChannels;
    } else if (cls === "Dense") {
      const inDim = (layer.input as tfl.SymbolicTensor).shape.at(-1)!;
      macs += inDim * (layer.getConfig().units as number);
    }
  }
  return { macs, params: model.countParams() };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { models: { type: "string", default: DEFAULT } },
  });
  await initBackend("cpu");
  const rows = values.models!.split(",").map((entry) => {
    const [name, shape, stem] = entry.split(":");
    const inputShape = shape.split("x").map(Number);
    const { model } = buildModel(name as ModelName, {
      inputShape,
      numClasses: 10,
      seed: 1,
      ...(stem ? { stem: stem as "imagenet" | "cifar" } : {}),
    });
    const cost = modelCost(model);
    model.dispose();
    return { entry, ...cost };
  });
  const base = rows[0];
  console.log(`| model | forward MACs / image | × ${base.entry} | parameters |`);
  console.log("|---|--:|--:|--:|");
  for (const r of rows) {
    console.log(
      `| ${r.entry} | ${(r.macs / 1e6).toFixed(1)} M | ${(r.macs / base.macs).toFixed(2)} | ${
        (r.params / 1e6).toFixed(3)
      } M |`,
    );
  }
  tf.disposeVariables();
}
