/**
 * ResNets: the CIFAR ResNet20 of He et al. (2016) and torchvision-style ResNet18 (basic blocks) and ResNet50
 * (bottleneck blocks, the paper's third architecture). Every block ends in a ReLU layer named `s{stage}b{block}_out` (after the residual addition); these are the
 * selectivity layers (docs/method.md §1.2). The stem is not one.
 */
import * as tfl from "@tensorflow/tfjs-layers";
import {
  type ArchitectureGraph,
  batchNorm,
  connect,
  conv2d,
  convBnRelu,
  dense,
  relu,
  type Sym,
} from "./layers.ts";
import type { LayerSeeds } from "./init.ts";
import { ZeroPadShortcut } from "./custom_layers.ts";

/** How a block that changes shape builds its shortcut: option A (`pad`, CIFAR) or B (`projection`, ImageNet). */
type Shortcut = "pad" | "projection";

function basicBlock(
  seeds: LayerSeeds,
  x: Sym,
  prefix: string,
  filters: number,
  strides: number,
  shortcut: Shortcut,
): Sym {
  const inChannels = x.shape.at(-1)!;
  const y1 = convBnRelu(seeds, x, `${prefix}_1`, filters, 3, strides);
  const y2 = connect(batchNorm(`${prefix}_2_bn`), connect(conv2d(seeds, `${prefix}_2_conv`, filters, 3), y1));
  let skip = x;
  if (strides !== 1 || inChannels !== filters) {
    skip = shortcut === "pad"
      ? connect(new ZeroPadShortcut({ name: `${prefix}_shortcut`, outChannels: filters }), x)
      : connect(
        batchNorm(`${prefix}_shortcut_bn`),
        connect(conv2d(seeds, `${prefix}_shortcut_conv`, filters, 1, strides), x),
      );
  }
  return connect(relu(`${prefix}_out`), connect(tfl.layers.add({ name: `${prefix}_add` }), [y2, skip]));
}

/**
 * torchvision's bottleneck (v1.5: the stride sits on the 3×3 conv): 1×1 conv to `width`, 3×3 conv (stride),
 * 1×1 conv to 4·`width`, each with BN (ReLU after the first two); projection shortcut (1×1 conv + BN) when the
 * shape changes; ReLU after the addition.
 */
function bottleneckBlock(seeds: LayerSeeds, x: Sym, prefix: string, width: number, strides: number): Sym {
  const out = 4 * width;
  const y1 = convBnRelu(seeds, x, `${prefix}_1`, width, 1);
  const y2 = convBnRelu(seeds, y1, `${prefix}_2`, width, 3, strides);
  const y3 = connect(batchNorm(`${prefix}_3_bn`), connect(conv2d(seeds, `${prefix}_3_conv`, out, 1), y2));
  let skip = x;
  if (strides !== 1 || x.shape.at(-1) !== out) {
    skip = connect(
      batchNorm(`${prefix}_shortcut_bn`),
      connect(conv2d(seeds, `${prefix}_shortcut_conv`, out, 1, strides), x),
    );
  }
  return connect(relu(`${prefix}_out`), connect(tfl.layers.add({ name: `${prefix}_add` }), [y3, skip]));
}

/** Builds one block: input, name prefix, width, stride. */
type Block = (x: Sym, prefix: string, width: number, strides: number) => Sym;

function stagesOfBlocks(
  x: Sym,
  widths: number[],
  blocksPerStage: number[],
  block: Block,
): { x: Sym; stages: string[][] } {
  const stages: string[][] = [];
  widths.forEach((filters, s) => {
    const names: string[] = [];
    for (let b = 0; b < blocksPerStage[s]; b++) {
      const prefix = `s${s + 1}b${b + 1}`;
      x = block(x, prefix, filters, s > 0 && b === 0 ? 2 : 1);
      names.push(`${prefix}_out`);
    }
    stages.push(names);
  });
  return { x, stages };
}

function head(seeds: LayerSeeds, x: Sym, numClasses: number): Sym {
  return connect(
    dense(seeds, "logits", numClasses),
    connect(tfl.layers.globalAveragePooling2d({ name: "gap" }), x),
  );
}

/**
 * CIFAR ResNet20 (He et al. 2016): 3×3 conv16 stem, 3 stages of 3 basic blocks with 16/32/64 channels (stride 2
 * at the first block of stages 2 and 3, parameter-free zero-padding shortcuts), GAP, dense. 0.27 M parameters.
 */
export function resnet20Graph(seeds: LayerSeeds, x: Sym, numClasses: number): ArchitectureGraph {
  const body = stagesOfBlocks(
    convBnRelu(seeds, x, "stem", 16, 3),
    [16, 32, 64],
    [3, 3, 3],
    (y, prefix, filters, strides) => basicBlock(seeds, y, prefix, filters, strides, "pad"),
  );
  return { logits: head(seeds, body.x, numClasses), stages: body.stages };
}

/** ResNet18 stem: torchvision's 7×7/2 conv + 3×3/2 max-pool (`imagenet`) or a 3×3/1 conv alone (`cifar`). */
export type ResNet18Stem = "imagenet" | "cifar";

/**
 * torchvision-style ResNet18: stem, 4 stages of 2 basic blocks with 64/128/256/512 channels (projection
 * shortcuts: 1×1 conv + BN), GAP, dense. 11.2 M parameters (with 200 classes). Paddings are TF 'same'.
 */
export function resnet18Graph(
  seeds: LayerSeeds,
  x: Sym,
  numClasses: number,
  stem: ResNet18Stem,
): ArchitectureGraph {
  const body = stagesOfBlocks(
    imagenetStem(seeds, x, stem),
    [64, 128, 256, 512],
    [2, 2, 2, 2],
    (y, prefix, filters, strides) => basicBlock(seeds, y, prefix, filters, strides, "projection"),
  );
  return { logits: head(seeds, body.x, numClasses), stages: body.stages };
}

/** The ResNet18/50 stem (see {@link ResNet18Stem}). */
function imagenetStem(seeds: LayerSeeds, x: Sym, stem: ResNet18Stem): Sym {
  if (stem === "cifar") return convBnRelu(seeds, x, "stem", 64, 3);
  const y = convBnRelu(seeds, x, "stem", 64, 7, 2);
  return connect(tfl.layers.maxPooling2d({ name: "stem_pool", poolSize: 3, strides: 2, padding: "same" }), y);
}

/**
 * torchvision-style ResNet50: the ResNet18 stem, 4 stages of 3, 4, 6, 3 bottleneck blocks with widths
 * 64/128/256/512 (outputs 256/512/1024/2048 channels), GAP, dense. 25.56 M trainable parameters with 1,000
 * classes (torchvision's count), 23.9 M with 200. Paddings are TF 'same'.
 */
export function resnet50Graph(
  seeds: LayerSeeds,
  x: Sym,
  numClasses: number,
  stem: ResNet18Stem,
): ArchitectureGraph {
  const body = stagesOfBlocks(
    imagenetStem(seeds, x, stem),
    [64, 128, 256, 512],
    [3, 4, 6, 3],
    (y, prefix, width, strides) => bottleneckBlock(seeds, y, prefix, width, strides),
  );
  return { logits: head(seeds, body.x, numClasses), stages: body.stages };
}
