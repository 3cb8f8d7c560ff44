import assert from "node:assert/strict";
import { splitTrainVal, stratifiedSample } from "../../../lib/data/split.ts";

// 3 classes of unequal size: 50 of class 0, 30 of class 1, 21 of class 2, interleaved.
const labels = Uint8Array.from({ length: 101 }, (_, i) => (i < 60 ? i % 2 : i < 80 ? 0 : 2));
const countOf = (idx: Uint32Array, c: number) => [...idx].filter((i) => labels[i] === c).length;
const total = (c: number) => labels.filter((l) => l === c).length;

Deno.test("splitTrainVal: disjoint, covering, stratified, sorted", () => {
  const { train, val } = splitTrainVal(labels, 0.2, 7);
  const all = [...train, ...val].sort((a, b) => a - b);
  assert.deepEqual(all, Array.from({ length: labels.length }, (_, i) => i));
  for (const c of [0, 1, 2]) assert.equal(countOf(val, c), Math.round(total(c) * 0.2), `class ${c}`);
  assert.deepEqual([...train], [...train].sort((a, b) => a - b));
  assert.equal(splitTrainVal(labels, 0, 7).val.length, 0);
});

Deno.test("splitTrainVal: same seed same split, other seed other split", () => {
  assert.deepEqual(splitTrainVal(labels, 0.3, 1), splitTrainVal(labels, 0.3, 1));
  assert.notDeepEqual(splitTrainVal(labels, 0.3, 1).val, splitTrainVal(labels, 0.3, 2).val);
  assert.throws(() => splitTrainVal(labels, 1, 1), /valFraction must be in \[0, 1\)/);
});

Deno.test("stratifiedSample: exact size, proportional per class, unique, deterministic", () => {
  for (const limit of [1, 10, 33, 100]) {
    const s = stratifiedSample(labels, limit, 3);
    assert.equal(s.length, limit);
    assert.equal(new Set(s).size, limit);
    for (const c of [0, 1, 2]) {
      const share = (limit * total(c)) / labels.length;
      const got = countOf(s, c);
      assert.ok(
        got >= Math.floor(share) && got <= Math.ceil(share),
        `limit ${limit} class ${c}: ${got} vs ${share}`,
      );
    }
  }
  assert.deepEqual(stratifiedSample(labels, 40, 3), stratifiedSample(labels, 40, 3));
  assert.notDeepEqual(stratifiedSample(labels, 40, 3), stratifiedSample(labels, 40, 4));
  assert.equal(stratifiedSample(labels, 500, 3).length, labels.length);
  assert.throws(() => stratifiedSample(labels, 0, 3), /limit must be a positive integer/);
});
