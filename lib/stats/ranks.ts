/**
 * Ranks with ties resolved by average rank ("fractional ranking"), as Spearman's correlation needs.
 *
 * @module
 */
import { type Numbers, requireFinite } from "./descriptive.ts";

/**
 * 1-based ranks of `xs`; tied values all get the mean of the ranks they span.
 *
 * @example
 * ```ts
 * averageRanks([10, 20, 20, 5]); // [2, 3.5, 3.5, 1]
 * ```
 */
export function averageRanks(xs: Numbers): Float64Array {
  requireFinite(xs, 0, "averageRanks");
  const order = Array.from({ length: xs.length }, (_, i) => i).sort((a, b) => xs[a] - xs[b]);
  const ranks = new Float64Array(xs.length);
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (j + 1 < order.length && xs[order[j + 1]] === xs[order[i]]) j++;
    const rank = (i + j) / 2 + 1; // positions i..j hold ranks i+1..j+1
    for (let k = i; k <= j; k++) ranks[order[k]] = rank;
    i = j + 1;
  }
  return ranks;
}
