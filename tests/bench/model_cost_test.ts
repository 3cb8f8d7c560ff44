import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { modelCost } from "../../bench/model_cost.ts";
import { initBackend } from "../../lib/backends/select.ts";
import { buildModel } from "../../lib/models/registry.ts";

await initBackend("cpu");

Deno.test("modelCost counts conv and dense multiply-accumulates as worked out by hand", () => {
  const x = tfl.input({ shape: [8, 8, 2] });
  const same = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: "same" }).apply(
    x,
  ) as tfl.SymbolicTensor;
  const strided = tfl.layers.conv2d({ filters: 6, kernelSize: 1, strides: 2 }).apply(
    same,
  ) as tfl.SymbolicTensor;
  const flat = tfl.layers.flatten().apply(strided) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 10 }).apply(flat) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: x, outputs: out });
  // 8·8·4 outputs × 3·3·2 taps; 4·4·6 outputs × 1·1·4 taps; 96 inputs × 10 units.
  const macs = 8 * 8 * 4 * 18 + 4 * 4 * 6 * 4 + 96 * 10;
  const params = (18 * 4 + 4) + (4 * 6 + 6) + (96 * 10 + 10);
  assert.deepEqual(modelCost(model), { macs, params });
  model.dispose();
});

Deno.test("modelCost: ResNet20's convolutions cost in proportion to the input area, its dense layer does not", () => {
  const cost = (shape: number[]) => {
    const { model } = buildModel("resnet20", { inputShape: shape, numClasses: 10, seed: 1 });
    const c = modelCost(model);
    model.dispose();
    return c;
  };
  const at32 = cost([32, 32, 1]), at16 = cost([16, 16, 1]);
  // Every convolution's output area shrinks 4× (strides 1, 2, 2 from the stem on); the dense layer does not.
  const dense = 64 * 10;
  assert.equal(at32.macs - dense, 4 * (at16.macs - dense));
  assert.equal(at32.params, at16.params);
  tf.disposeVariables();
});
