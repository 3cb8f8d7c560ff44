/**
 * Class selectivity index (Morcos et al. 2018, as used by Leavitt & Morcos; docs/method.md §1) and its aggregation
 * to layer and network means, in plain float64 JavaScript. Definition choices (docs/method.md §1.2 project defaults):
 *
 * - A unit is one channel; its activation for an image is the spatial mean of the post-ReLU feature map.
 * - Per-class statistic: the mean over the samples of that class (sum ÷ count), not the sum.
 * - Only classes with at least one sample ("present", C′ of them) enter max and mean. With C′ < 2 the index is
 *   undefined and every unit gets SI = 0 (the same rule as the minibatch regularizer).
 * - SI = (μ_max − μ_rest) / (μ_max + μ_rest + ε), μ_rest = mean of the other C′ − 1 present class means,
 *   ε = 1e-7 by default (`si.epsilon`). Activations must be ≥ 0, so SI ∈ [0, 1].
 * - A dead unit (all present class means 0) gets SI = 0 and counts in the layer mean; it is also counted.
 */

/** Default ε of the index (`si.epsilon`, docs/method.md §1.2). */
export const DEFAULT_SI_EPSILON = 1e-7;

/** Options shared by the index functions. */
export interface IndexOptions {
  /** ε in the denominator; default {@link DEFAULT_SI_EPSILON}. */
  epsilon?: number;
  /** Which classes have samples; default: all. Rows of absent classes are ignored (may hold NaN). */
  present?: ArrayLike<boolean>;
}

function presentClasses(numClasses: number, present?: ArrayLike<boolean>): number[] {
  if (present && present.length !== numClasses) {
    throw new Error(`present has ${present.length} entries for ${numClasses} classes`);
  }
  return Array.from({ length: numClasses }, (_, c) => c).filter((c) => !present || present[c]);
}

/**
 * Per-unit class selectivity index from per-class mean activations `classMeans[class][unit]`.
 *
 * @example
 * classSelectivityIndex([[1, 0], [0, 0], [0, 0]]); // unit 0 answers class 0 only → ≈1; unit 1 is dead → 0
 * classSelectivityIndex([[2], [2]]);               // uniform → 0
 */
export function classSelectivityIndex(
  classMeans: ArrayLike<number>[],
  options: IndexOptions = {},
): Float64Array {
  const epsilon = options.epsilon ?? DEFAULT_SI_EPSILON;
  const classes = presentClasses(classMeans.length, options.present);
  const numUnits = classMeans[0]?.length ?? 0;
  const si = new Float64Array(numUnits);
  if (classes.length < 2) return si;
  for (let u = 0; u < numUnits; u++) {
    let max = -Infinity;
    let sum = 0;
    for (const c of classes) {
      const m = classMeans[c][u];
      if (!(m >= 0)) {
        throw new Error(
          `class mean of class ${c}, unit ${u} is ${m}: selectivity needs post-ReLU (≥ 0) activations`,
        );
      }
      max = Math.max(max, m);
      sum += m;
    }
    const rest = (sum - max) / (classes.length - 1);
    si[u] = (max - rest) / (max + rest + epsilon);
  }
  return si;
}

/** Number of dead units: units whose mean activation is 0 for every present class. */
export function countDeadUnits(classMeans: ArrayLike<number>[], present?: ArrayLike<boolean>): number {
  const classes = presentClasses(classMeans.length, present);
  const numUnits = classMeans[0]?.length ?? 0;
  let dead = 0;
  for (let u = 0; u < numUnits; u++) if (classes.every((c) => classMeans[c][u] === 0)) dead++;
  return dead;
}

/** Arithmetic mean of a non-empty list. */
export function mean(xs: ArrayLike<number>): number {
  if (xs.length === 0) throw new Error("mean of an empty list");
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

/**
 * Network mean selectivity μ_SI = mean over layers of (mean over the layer's units), so every layer weighs the
 * same regardless of width (docs/method.md §1.3).
 */
export function networkMeanSelectivity(perLayerSI: ArrayLike<number>[]): number {
  return mean(perLayerSI.map(mean));
}

/** `si.layerGrouping`: each block output is a layer (`block`), or all blocks of a stage pool into one (`stage`). */
export type LayerGrouping = "block" | "stage";

/** Per-layer results of {@link summarizeSelectivity}. */
export interface LayerSelectivity {
  name: string;
  /** Per-unit SI. */
  si: Float64Array;
  meanSI: number;
  deadUnits: number;
}

/** Output of {@link summarizeSelectivity}. */
export interface SelectivitySummary {
  layers: LayerSelectivity[];
  grouping: LayerGrouping;
  /** The averaging units of μ_SI: one per layer (`block`) or one per stage with all its units pooled (`stage`). */
  groups: { layers: string[]; meanSI: number }[];
  networkMeanSI: number;
}

/** Options of {@link summarizeSelectivity}. */
export interface SummaryOptions {
  epsilon?: number;
  /** Default `block`. */
  grouping?: LayerGrouping;
  /** Layer names by stage; required for `stage` grouping, must cover every layer exactly once. */
  stages?: string[][];
}

/**
 * Per-unit SI, per-layer mean SI, dead-unit counts and μ_SI from per-layer class means (the outputs of
 * `measure-selectivity`, docs/method.md §1.3). `classMeans[name][class][unit]`; `counts[class]` = samples per class.
 */
export function summarizeSelectivity(
  classMeans: Record<string, ArrayLike<number>[]>,
  counts: ArrayLike<number>,
  options: SummaryOptions = {},
): SelectivitySummary {
  const grouping = options.grouping ?? "block";
  const present = Array.from(counts, (n) => n > 0);
  const names = Object.keys(classMeans);
  const layers = names.map((name): LayerSelectivity => {
    const si = classSelectivityIndex(classMeans[name], { epsilon: options.epsilon, present });
    return { name, si, meanSI: mean(si), deadUnits: countDeadUnits(classMeans[name], present) };
  });
  let groupNames: string[][];
  if (grouping === "block") {
    groupNames = names.map((n) => [n]);
  } else {
    groupNames = options.stages ?? [];
    const listed = groupNames.flat();
    if (listed.length !== names.length || !names.every((n) => listed.includes(n))) {
      throw new Error(
        `stage grouping needs stages covering the layers [${names}] exactly once, got [${listed}]`,
      );
    }
  }
  const byName = new Map(layers.map((l) => [l.name, l]));
  const groupUnits = groupNames.map((members) => members.flatMap((n) => Array.from(byName.get(n)!.si)));
  const groups = groupNames.map((members, g) => ({ layers: members, meanSI: mean(groupUnits[g]) }));
  return { layers, grouping, groups, networkMeanSI: networkMeanSelectivity(groupUnits) };
}
