import assert from "node:assert/strict";
import {
  classSelectivityIndex,
  countDeadUnits,
  networkMeanSelectivity,
  summarizeSelectivity,
} from "../../../lib/selectivity/si.ts";

const close = (a: number, b: number, tol = 1e-12) => assert(Math.abs(a - b) <= tol, `${a} ≉ ${b}`);

Deno.test("hand-worked indices: one-class unit ≈ 1, uniform 0, graded values", () => {
  // classMeans[class][unit]
  const si = classSelectivityIndex([
    [5, 2, 3, 4, 0],
    [0, 2, 1, 1, 0],
    [0, 2, 1, 1, 0],
  ]);
  close(si[0], 5 / (5 + 1e-7)); // only class 0: (5 − 0) / (5 + 0 + ε)
  close(si[1], 0); // uniform
  close(si[2], (3 - 1) / (3 + 1 + 1e-7)); // 0.5
  close(si[3], (4 - 1) / (4 + 1 + 1e-7)); // 0.6
  close(si[4], 0); // dead unit: 0 / ε
});

Deno.test("ε matters only for tiny activations", () => {
  close(classSelectivityIndex([[1e-7], [0]])[0], 1e-7 / (1e-7 + 1e-7)); // = 0.5, not 1
  close(classSelectivityIndex([[1e-7], [0]], { epsilon: 1e-6 })[0], 1e-7 / 1.1e-6);
});

Deno.test("absent classes are left out of the max and the mean of the rest", () => {
  const means = [[6], [NaN], [2], [1]]; // class 1 has no samples
  const present = [true, false, true, true];
  close(classSelectivityIndex(means, { present })[0], (6 - 1.5) / (6 + 1.5 + 1e-7));
  // With class 1 counted as a zero mean the value would differ:
  assert(Math.abs(classSelectivityIndex([[6], [0], [2], [1]])[0] - (6 - 1.5) / 7.5) > 0.05);
  // Fewer than two classes present: SI = 0 by convention.
  assert.deepEqual(Array.from(classSelectivityIndex([[3, 1], [NaN, NaN]], { present: [true, false] })), [
    0,
    0,
  ]);
});

Deno.test("negative class means are rejected: selectivity needs post-ReLU activations", () => {
  assert.throws(() => classSelectivityIndex([[1], [-0.5]]), /class 1, unit 0 is -0.5: .*post-ReLU/);
});

Deno.test("dead units are counted over present classes", () => {
  assert.equal(countDeadUnits([[0, 1, 0], [0, 0, 0], [NaN, NaN, 5]], [true, true, false]), 2);
});

Deno.test("network mean weighs layers equally, not units", () => {
  close(networkMeanSelectivity([[1, 1, 1, 1], [0]]), 0.5); // unit-weighted would be 0.8
});

Deno.test("summary: per-layer SI, dead counts, block and stage grouping", () => {
  const classMeans = {
    a: [[1, 0, 0], [0, 0, 1]], // SI ≈ [1, 0 (dead), 1]
    b: [[1], [1]], // SI 0
    c: [[2], [0]], // SI ≈ 1
  };
  const counts = [10, 10];
  const block = summarizeSelectivity(classMeans, counts);
  assert.deepEqual(block.layers.map((l) => l.deadUnits), [1, 0, 0]);
  close(block.layers[0].meanSI, 2 / 3, 1e-6);
  close(block.networkMeanSI, (2 / 3 + 0 + 1) / 3, 1e-6);
  const stage = summarizeSelectivity(classMeans, counts, { grouping: "stage", stages: [["a", "b"], ["c"]] });
  close(stage.groups[0].meanSI, 2 / 4, 1e-6); // units of a and b pooled
  close(stage.networkMeanSI, (0.5 + 1) / 2, 1e-6);
  assert.throws(
    () => summarizeSelectivity(classMeans, counts, { grouping: "stage", stages: [["a"], ["c"]] }),
    /stages covering the layers/,
  );
});
