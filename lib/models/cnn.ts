/** The project's small default CNN: three conv-BN-ReLU blocks, global average pooling, one dense layer. */
import * as tfl from "@tensorflow/tfjs-layers";
import { type ArchitectureGraph, connect, convBnRelu, dense, type Sym } from "./layers.ts";
import type { LayerSeeds } from "./init.ts";

/**
 * conv16-BN-ReLU → conv32-BN-ReLU-maxpool → conv64-BN-ReLU-maxpool → GAP → dense(numClasses).
 * About 7.4 M multiply-adds per 28×28×1 image. Each block's ReLU output (`block{1,2,3}_relu`, before pooling)
 * is a selectivity layer; each block is its own stage.
 */
export function cnnGraph(seeds: LayerSeeds, x: Sym, numClasses: number): ArchitectureGraph {
  const b1 = convBnRelu(seeds, x, "block1", 16, 3);
  const b2 = convBnRelu(seeds, b1, "block2", 32, 3);
  const b3 = convBnRelu(
    seeds,
    connect(tfl.layers.maxPooling2d({ name: "block2_pool", poolSize: 2 }), b2),
    "block3",
    64,
    3,
  );
  const pooled = connect(tfl.layers.maxPooling2d({ name: "block3_pool", poolSize: 2 }), b3);
  const features = connect(tfl.layers.globalAveragePooling2d({ name: "gap" }), pooled);
  return {
    logits: connect(dense(seeds, "logits", numClasses), features),
    stages: [["block1_relu"], ["block2_relu"], ["block3_relu"]],
  };
}
