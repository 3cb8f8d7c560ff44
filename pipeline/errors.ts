/**
 * The one error type the runner shows to users: a message that says where (file, line, key) and what to do.
 *
 * @module
 */

/**
 * An error caused by the user's input or environment, printed without a stack trace.
 *
 * @example
 * ```ts
 * throw new PipelineError("pipeline.yaml:3:5: stage 'train' has no 'cmd'");
 * ```
 */
export class PipelineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PipelineError";
  }
}

/**
 * Closest candidate to `word` by edit distance, for "did you mean" hints; undefined if nothing is close.
 *
 * @example
 * ```ts
 * suggest("train.lrr", ["train.lr", "data.seed"]); // "train.lr"
 * ```
 */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = editDistance(word, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

/** A " (did you mean 'x'?)" suffix, or "" when nothing is close. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const s = suggest(word, candidates);
  return s === undefined ? "" : ` (did you mean '${s}'?)`;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}
