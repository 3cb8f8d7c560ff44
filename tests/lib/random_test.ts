import assert from "node:assert/strict";
import { deriveSeed, Rng } from "../../lib/random.ts";

Deno.test("Rng matches the reference C xoshiro128** seeded by splitmix32", () => {
  // Expected values printed by the reference C implementation (prng.di.unimi.it/xoshiro128starstar.c) with the
  // state filled by splitmix32 from mix(lo ^ mix(hi + 0x9e3779b9)), compiled with gcc; not by this module.
  const expected: Record<number, number[]> = {
    0: [2316360459, 156713514, 288792635, 204408599, 4033756870],
    42: [1869326462, 2545772357, 4291449500, 3536891383, 42494069],
    [-1]: [2065820885, 451912948, 3965938795, 3242388472, 1176741702],
    4294967303: [257767627, 2449428519, 413183504, 235971142, 1301459890],
  };
  for (const [seed, values] of Object.entries(expected)) {
    const rng = new Rng(Number(seed));
    assert.deepEqual(values.map(() => rng.nextUint32()), values, `seed ${seed}`);
  }
});

Deno.test("same seed gives the same sequence; different seeds differ", () => {
  const draw = (seed: number) => {
    const r = new Rng(seed);
    return [r.uniform(), r.int(1000), r.normal(), ...r.permutation(8)];
  };
  assert.deepEqual(draw(7), draw(7));
  assert.notDeepEqual(draw(7), draw(8));
  const firsts = new Set(Array.from({ length: 1000 }, (_, s) => new Rng(s).nextUint32()));
  assert(
    firsts.size > 995,
    `first outputs of seeds 0..999 should be nearly all distinct, got ${firsts.size}`,
  );
});

Deno.test("deriveSeed separates purposes and is stable", () => {
  assert.deepEqual(deriveSeed(3, "split"), deriveSeed(3, "split"));
  assert.notDeepEqual(deriveSeed(3, "split"), deriveSeed(3, "shuffle"));
  assert.notDeepEqual(deriveSeed(3, "epoch", 1), deriveSeed(3, "epoch", 2));
  assert.notDeepEqual(deriveSeed(3, "1"), deriveSeed(3, 1));
  assert.notDeepEqual(deriveSeed(3, "a", "b"), deriveSeed(3, "b", "a"));
  assert.notDeepEqual(deriveSeed(3), deriveSeed(4));
  assert.throws(() => deriveSeed(1.5), /seed must be a safe integer/);
});

Deno.test("uniform has the moments of U[0,1)", () => {
  const rng = new Rng(1);
  const n = 200_000;
  let sum = 0, sq = 0, min = 1, max = 0;
  for (let i = 0; i < n; i++) {
    const u = rng.uniform();
    sum += u;
    sq += u * u;
    min = Math.min(min, u);
    max = Math.max(max, u);
  }
  const mean = sum / n;
  // Standard error of the mean is sqrt(1/12/n) ≈ 0.00065; allow ~6 standard errors.
  assert(Math.abs(mean - 0.5) < 0.004, `mean ${mean}`);
  assert(Math.abs(sq / n - mean * mean - 1 / 12) < 0.002, `variance ${sq / n - mean * mean}`);
  assert(min >= 0 && max < 1);
});

/** Pearson chi-square statistic of observed counts against equal expected counts. */
function chiSquare(counts: number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const e = total / counts.length;
  return counts.reduce((acc, c) => acc + (c - e) ** 2 / e, 0);
}

Deno.test("int(n) is uniform over 0..n-1 (chi-square)", () => {
  const rng = new Rng(2);
  for (const k of [3, 10, 7919]) {
    const counts = new Array(k).fill(0);
    const draws = k * 200;
    for (let i = 0; i < draws; i++) counts[rng.int(k)]++;
    // 99.9% quantile of chi-square with df = k-1, by the Wilson–Hilferty approximation.
    const df = k - 1;
    const q = df * (1 - 2 / (9 * df) + 3.09 * Math.sqrt(2 / (9 * df))) ** 3;
    const stat = chiSquare(counts);
    assert(stat < q, `int(${k}): chi-square ${stat.toFixed(1)} ≥ ${q.toFixed(1)}`);
  }
  assert.deepEqual(new Rng(0).int(1), 0);
  assert(new Rng(0).int(2 ** 32) < 2 ** 32);
  assert.throws(() => rng.int(0), /n must be an integer/);
  assert.throws(() => rng.int(2.5), /n must be an integer/);
});

Deno.test("normal has mean, std and 1-sigma mass of N(mean, std)", () => {
  const rng = new Rng(3);
  const n = 200_000;
  let sum = 0, sq = 0, inside = 0;
  for (let i = 0; i < n; i++) {
    const z = rng.normal();
    sum += z;
    sq += z * z;
    if (Math.abs(z) < 1) inside++;
  }
  const mean = sum / n;
  assert(Math.abs(mean) < 0.012, `mean ${mean}`);
  assert(Math.abs(Math.sqrt(sq / n - mean * mean) - 1) < 0.01, `std`);
  assert(Math.abs(inside / n - 0.6826895) < 0.005, `P(|z|<1) = ${inside / n}`);
  const shifted = new Rng(4);
  let s2 = 0;
  for (let i = 0; i < 10_000; i++) s2 += shifted.normal(5, 0.1);
  assert(Math.abs(s2 / 10_000 - 5) < 0.01);
});

Deno.test("permutation and shuffle: valid, and every order of 3 equally likely", () => {
  const rng = new Rng(5);
  const p = rng.permutation(1000);
  assert.deepEqual([...p].sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i));
  assert.deepEqual(rng.permutation(0).length, 0);
  const counts = new Map<string, number>();
  for (let i = 0; i < 60_000; i++) {
    const key = rng.shuffle(["a", "b", "c"]).join("");
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  assert.deepEqual(counts.size, 6);
  // 99.9% quantile of chi-square with 5 degrees of freedom is 20.5.
  assert(chiSquare([...counts.values()]) < 20.5, `orders ${JSON.stringify([...counts])}`);
  const typed = new Float64Array([1, 2, 3, 4]);
  assert.equal(rng.shuffle(typed), typed);
  assert.deepEqual([...typed].sort(), [1, 2, 3, 4]);
});
