/**
 * Independent float64 reference of the selectivity computation, written with plain loops over nested arrays
 * (no tfjs, no code shared with lib/selectivity). Used by the selectivity tests.
 */

/** Activations of one layer: [sample][row][col][unit]. */
export type Activation4D = number[][][][];

/** Spatial mean of each unit for each sample: [sample][unit]. */
export function spatialMeans(act: Activation4D): number[][] {
  return act.map((rows) => {
    const units = rows[0][0].length;
    const out = new Array(units).fill(0);
    let n = 0;
    for (const row of rows) {
      for (const pixel of row) {
        for (let u = 0; u < units; u++) out[u] += pixel[u];
        n++;
      }
    }
    return out.map((s) => s / n);
  });
}

/** Per-unit SI from per-sample unit activations [sample][unit], masking classes without samples. */
export function referenceUnitSI(
  units: number[][],
  labels: number[],
  numClasses: number,
  eps: number,
): number[] {
  const numUnits = units[0].length;
  const result: number[] = [];
  for (let u = 0; u < numUnits; u++) {
    const sums = new Array(numClasses).fill(0);
    const counts = new Array(numClasses).fill(0);
    for (let i = 0; i < labels.length; i++) {
      sums[labels[i]] += units[i][u];
      counts[labels[i]] += 1;
    }
    const means: number[] = [];
    for (let c = 0; c < numClasses; c++) if (counts[c] > 0) means.push(sums[c] / counts[c]);
    if (means.length < 2) {
      result.push(0);
      continue;
    }
    let best = 0;
    for (let k = 1; k < means.length; k++) if (means[k] > means[best]) best = k;
    let rest = 0;
    for (let k = 0; k < means.length; k++) if (k !== best) rest += means[k];
    rest /= means.length - 1;
    result.push((means[best] - rest) / (means[best] + rest + eps));
  }
  return result;
}

/**
 * Network mean SI: per group, the units of its layers are pooled, SI is averaged over them; then groups are
 * averaged. Returns the per-group per-unit SI too.
 */
export function referenceNetworkSI(
  layers: Activation4D[],
  labels: number[],
  numClasses: number,
  eps: number,
  groups: number[][] = layers.map((_, i) => [i]),
): { perGroup: number[][]; network: number } {
  const perLayerUnits = layers.map(spatialMeans);
  const perGroup = groups.map((g) => {
    const pooled = labels.map((_, i) => g.flatMap((l) => perLayerUnits[l][i]));
    return referenceUnitSI(pooled, labels, numClasses, eps);
  });
  let network = 0;
  for (const si of perGroup) network += si.reduce((a, b) => a + b, 0) / si.length;
  return { perGroup, network: network / groups.length };
}
