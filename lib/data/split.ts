/**
 * Seeded, stratified index selection: the train/validation split and subsampling caps.
 *
 * Both are stratified by label: each class contributes in proportion to its size, so class balance survives
 * (important for small CI runs and for per-class statistics such as class selectivity). Within a class, the
 * images chosen are a seeded random subset. Returned indices are sorted ascending (training shuffles later).
 *
 * @module
 */
import { Rng } from "../random.ts";

/** Indices of each label value, in ascending order. */
function byClass(labels: Uint8Array): number[][] {
  const groups: number[][] = [];
  for (let i = 0; i < labels.length; i++) (groups[labels[i]] ??= []).push(i);
  return groups.filter((g) => g !== undefined);
}

function sorted(xs: number[]): Uint32Array {
  return Uint32Array.from(xs).sort();
}

/**
 * Splits 0..N-1 into train and validation indices: from each class, round(count·valFraction) images chosen at
 * random (seeded) go to validation, the rest to train. The two sets are disjoint and cover every index.
 *
 * @example
 * ```ts
 * const { train, val } = splitTrainVal(labels, 0.1, deriveSeed(seed, "val-split"));
 * ```
 */
export function splitTrainVal(
  labels: Uint8Array,
  valFraction: number,
  seed: number,
): { train: Uint32Array; val: Uint32Array } {
  if (!(valFraction >= 0 && valFraction < 1)) {
    throw new Error(`splitTrainVal: valFraction must be in [0, 1), got ${valFraction}`);
  }
  const rng = new Rng(seed);
  const train: number[] = [], val: number[] = [];
  for (const group of byClass(labels)) {
    rng.shuffle(group);
    const nVal = Math.round(group.length * valFraction);
    for (let j = 0; j < group.length; j++) (j < nVal ? val : train).push(group[j]);
  }
  return { train: sorted(train), val: sorted(val) };
}

/**
 * At most `limit` indices of 0..N-1, stratified: class c gets floor(limit·n_c/N) images plus one more for the
 * classes with the largest remainders (ties to the lower class), chosen at random (seeded) within the class.
 * Returns every index when limit ≥ N.
 *
 * @example
 * ```ts
 * const keep = stratifiedSample(train.labels, 1000, deriveSeed(seed, "limit-train"));
 * ```
 */
export function stratifiedSample(labels: Uint8Array, limit: number, seed: number): Uint32Array {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new Error(`stratifiedSample: limit must be a positive integer, got ${limit}`);
  }
  const n = labels.length;
  if (limit >= n) return Uint32Array.from({ length: n }, (_, i) => i);
  const groups = byClass(labels);
  const exact = groups.map((g) => (limit * g.length) / n);
  const quota = exact.map(Math.floor);
  let left = limit - quota.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((e, c) => ({ c, r: e - quota[c] })).sort((a, b) => b.r - a.r || a.c - b.c);
  for (const { c } of byRemainder) {
    if (left === 0) break;
    quota[c]++;
    left--;
  }
  const rng = new Rng(seed);
  const chosen: number[] = [];
  groups.forEach((g, c) => {
    rng.shuffle(g);
    for (let j = 0; j < quota[c]; j++) chosen.push(g[j]);
  });
  return sorted(chosen);
}
