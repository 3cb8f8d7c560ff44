/**
 * Ranks with ties resolved by average rank ("fractional ranking"), as Spearman's correlation needs.
 *
 * @module
 */
import { type Numbers, requireFinite } from "./descriptive.ts";

/** Up to this length the order is found by insertion sort: the resampling tests rank ~10 networks 10⁴ times. */
const INSERTION_SORT_MAX = 32;

/**
 * 1-based ranks of `xs`; tied values all get the mean of the ranks they span. A rank depends only on the
 * values (how many are smaller, how many equal), so the sort used to find them does not change a bit.
 *
 * @example
 * ```ts
 * averageRanks([10, 20, 20, 5]); // [2, 3.5, 3.5, 1]
 * ```
 */
export function averageRanks(xs: Numbers): Float64Array {
  requireFinite(xs, 0, "averageRanks");
  return fillAverageRanks(xs, new Float64Array(xs.length), new Int32Array(xs.length));
}

/**
 * {@link averageRanks} written into `ranks`, with `order` as scratch (both of `xs`' length, reused between
 * calls): resampling loops rank the same number of values 10⁴ times, and a fresh pair of typed arrays a call
 * was most of their time. `xs` must be finite (not checked here). Returns `ranks`.
 *
 * @example
 * ```ts
 * const ranks = new Float64Array(3), order = new Int32Array(3);
 * fillAverageRanks([0.5, 0.1, 0.5], ranks, order); // Float64Array [2.5, 1, 2.5]
 * ```
 */
export function fillAverageRanks(xs: Numbers, ranks: Float64Array, order: Int32Array): Float64Array {
  const n = xs.length;
  if (ranks.length !== n || order.length !== n) {
    throw new Error(`fillAverageRanks: ${n} values but buffers of ${ranks.length} and ${order.length}`);
  }
  for (let i = 0; i < n; i++) order[i] = i;
  if (n <= INSERTION_SORT_MAX) {
    for (let i = 1; i < n; i++) {
      const k = order[i], v = xs[k];
      let j = i - 1;
      while (j >= 0 && xs[order[j]] > v) {
        order[j + 1] = order[j];
        j--;
      }
      order[j + 1] = k;
    }
  } else {
    order.sort((a, b) => xs[a] - xs[b]);
  }
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && xs[order[j + 1]] === xs[order[i]]) j++;
    const rank = (i + j) / 2 + 1; // positions i..j hold ranks i+1..j+1
    for (let k = i; k <= j; k++) ranks[order[k]] = rank;
    i = j + 1;
  }
  return ranks;
}
