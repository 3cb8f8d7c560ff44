import assert from "node:assert/strict";
import { parseTrainParams } from "../../stages/train.ts";
import { dimSchema } from "../../stages/measure_dimensionality.ts";

const train = (batch_size: number) => ({
  train: { epochs: 1, batch_size, lr: 0.1, schedule: { kind: "cosine" } },
  model: { name: "cnn" },
  si: {},
});

Deno.test("train.batch_size: 2 is accepted, 1 is refused naming the key", () => {
  assert.equal(parseTrainParams(train(2)).train.batch_size, 2);
  assert.throws(() => parseTrainParams(train(1)), /train\.batch_size/);
});

Deno.test("dim.max_features: by default 32768 (keeps every feature of the CNN and ResNet20 layers exact)", () => {
  assert.equal(dimSchema.parse({}).max_features, 32768);
});

Deno.test("train.momentum: any value in [0, 1) is accepted, 1 is refused", () => {
  const withMomentum = (momentum: number) => {
    const p = train(32);
    return parseTrainParams({ ...p, train: { ...p.train, momentum } });
  };
  assert.equal(withMomentum(0).train.momentum, 0);
  assert.equal(withMomentum(0.5).train.momentum, 0.5);
  assert.throws(() => withMomentum(1), /train\.momentum/);
});
