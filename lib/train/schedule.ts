/**
 * Learning-rate schedules, evaluated per epoch (the rate is constant within an epoch, so a run resumed at an
 * epoch boundary sees exactly the rates of an uninterrupted run).
 *
 * @module
 */

/**
 * `step`: multiply by `gamma` at each milestone; milestones are fractions of the total epochs (docs/method.md §3:
 * ÷10 at 50 % and 75 %). `cosine`: half-cosine from the base rate down to `minFactor`·base at the end.
 * `constant`: the base rate throughout.
 */
export type LrSchedule =
  | { kind: "step"; milestones: number[]; gamma: number }
  | { kind: "cosine"; minFactor: number }
  | { kind: "constant" };

/**
 * The learning rate of `epoch` (0-based) in a run of `epochs` epochs.
 *
 * @example
 * learningRateAt({ kind: "step", milestones: [0.5, 0.75], gamma: 0.1 }, 0.1, 100, 200); // 0.01
 * learningRateAt({ kind: "cosine", minFactor: 0 }, 0.1, 0, 4);                          // 0.1
 */
export function learningRateAt(schedule: LrSchedule, baseLr: number, epoch: number, epochs: number): number {
  if (!Number.isInteger(epoch) || epoch < 0 || epoch >= epochs) {
    throw new Error(`learningRateAt: epoch ${epoch} outside 0..${epochs - 1}`);
  }
  switch (schedule.kind) {
    case "constant":
      return baseLr;
    case "step": {
      // A milestone at fraction f takes effect from epoch round(f·epochs) on.
      const passed = schedule.milestones.filter((f) => epoch >= Math.round(f * epochs)).length;
      return baseLr * schedule.gamma ** passed;
    }
    case "cosine": {
      const min = baseLr * schedule.minFactor;
      return min + (baseLr - min) * 0.5 * (1 + Math.cos((Math.PI * epoch) / epochs));
    }
  }
}
