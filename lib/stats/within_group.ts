/**
 * Association within groups (e.g. do seed-to-seed differences in μ_SI at one α go with seed-to-seed
 * differences in robustness?): Spearman ρ of the within-group residuals, tested by a stratified permutation
 * test and bounded by a stratified bootstrap. It separates "α moves both quantities" (an across-α trend) from
 * "selectivity goes with robustness" (a trend among networks trained alike).
 *
 * @module
 */
import { pearson, spearman, spearmanStatistic } from "./correlation.ts";
import { type Numbers, quantileSorted } from "./descriptive.ts";
import { averageRanks } from "./ranks.ts";
import { deriveSeed, Rng } from "../random.ts";

/** The result of {@link withinGroupAssociation}. */
export interface WithinGroupCheck {
  /** Observations in groups of two or more (the others carry no within-group information). */
  n: number;
  /** Groups of two or more. */
  groups: number;
  /** Spearman ρ of (x − group mean of x, y − group mean of y) and its stratified percentile-bootstrap CI. */
  rho: number;
  lo: number;
  hi: number;
  /** Two-sided stratified permutation p (y shuffled within each group), (1 + #extreme)/(1 + permutations). */
  p: number;
  /** Pooled within-group least-squares slope Σ dx·dy / Σ dx² (NaN when x is constant in every group). */
  slope: number;
}

/** Indices of each group with at least two members, groups in order of first appearance. */
function strata(groups: readonly (number | string)[]): number[][] {
  const by = new Map<number | string, number[]>();
  groups.forEach((g, i) => by.set(g, [...(by.get(g) ?? []), i]));
  return [...by.values()].filter((idx) => idx.length >= 2);
}

/** v[i] minus the mean of its group, for every index of every group (an index may repeat), group by group. */
function residuals(v: Numbers, idx: readonly number[][]): Float64Array {
  const out = new Float64Array(idx.reduce((s, g) => s + g.length, 0));
  let k = 0;
  for (const g of idx) {
    let m = 0;
    for (const i of g) m += v[i];
    m /= g.length;
    for (const i of g) out[k++] = v[i] - m;
  }
  return out;
}

/**
 * Within-group association of y with x; `groups` labels each observation (e.g. its α). Observations alone in
 * their group are left out. Returns NaN statistics when fewer than 3 observations remain.
 *
 * The permutation test shuffles y within each group; the group means stay fixed, so the residuals of y are
 * permuted within groups and their pooled ranks are a within-group permutation of the observed ranks.
 *
 * @example
 * ```ts
 * // Two seeds at each of 5 α values: does the seed with higher μ_SI also have higher AUC?
 * withinGroupAssociation(meanSI, auc, alphas, { seed: 0, permutations: 10000, resamples: 10000 });
 * ```
 */
export function withinGroupAssociation(
  x: Numbers,
  y: Numbers,
  groups: readonly (number | string)[],
  options: { seed: number; permutations?: number; resamples?: number; level?: number },
): WithinGroupCheck {
  if (x.length !== y.length || x.length !== groups.length) {
    throw new Error(
      `withinGroupAssociation: x, y and groups differ in length (${x.length}, ${y.length}, ${groups.length})`,
    );
  }
  const idx = strata(groups);
  const n = idx.reduce((s, g) => s + g.length, 0);
  const none = { n, groups: idx.length, rho: NaN, lo: NaN, hi: NaN, p: NaN, slope: NaN };
  if (n < 3) return none;
  const dx = residuals(x, idx), dy = residuals(y, idx);
  const rho = spearman(dx, dy);
  let sxy = 0, sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += dx[i] * dy[i];
    sxx += dx[i] * dx[i];
  }
  const slope = sxx === 0 ? NaN : sxy / sxx;
  if (Number.isNaN(rho)) return { ...none, slope };

  const permutations = options.permutations ?? 10000;
  const rx = averageRanks(dx), ry = averageRanks(dy);
  const rng = new Rng(deriveSeed(options.seed, "stratified-permutation"));
  const py = Float64Array.from(ry);
  const starts: number[] = [];
  idx.reduce((s, g) => (starts.push(s), s + g.length), 0);
  const threshold = Math.abs(rho) - 1e-12;
  let extreme = 0;
  for (let b = 0; b < permutations; b++) {
    idx.forEach((g, k) => {
      // Fisher–Yates on the group's slice of the pooled ranks.
      for (let i = g.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        const a = starts[k] + i, c = starts[k] + j;
        [py[a], py[c]] = [py[c], py[a]];
      }
    });
    if (Math.abs(pearson(rx, py)) >= threshold) extreme++;
  }

  const resamples = options.resamples ?? 10000;
  const level = options.level ?? 0.95;
  const boot = new Rng(deriveSeed(options.seed, "stratified-bootstrap"));
  const values: number[] = [];
  const rhoOf = spearmanStatistic();
  for (let b = 0; b < resamples; b++) {
    const drawn = idx.map((g) => g.map(() => g[boot.int(g.length)]));
    const s = rhoOf(residuals(x, drawn), residuals(y, drawn));
    if (!Number.isNaN(s)) values.push(s);
  }
  values.sort((a, b) => a - b);
  const defined = values.length >= resamples / 2;
  return {
    n,
    groups: idx.length,
    rho,
    lo: defined ? quantileSorted(values, (1 - level) / 2) : NaN,
    hi: defined ? quantileSorted(values, (1 + level) / 2) : NaN,
    p: (1 + extreme) / (1 + permutations),
    slope,
  };
}
