/**
 * Which metrics `metrics show` and `metrics diff` list by default: the numeric results. The rest (text,
 * booleans, list items such as per-ε curves and per-unit values, echoed params, timings and hardware) stays
 * behind `--all`. The rules look only at key shapes, so the runner stays ignorant of what the stages measure;
 * each rule says why it hides a key.
 *
 * @example
 * ```ts
 * compact({ "test.acc": 0.9, "wall_seconds": 12, "eps.0": 0, "run": "a0-s1" }); // { "test.acc": 0.9 }
 * ```
 *
 * @module
 */
import type { FlatMetrics } from "./metrics.ts";

/** A rule that hides a metric from the compact view, with the reason. */
export interface HideRule {
  readonly reason: string;
  readonly hides: (key: string, value: number | string | boolean) => boolean;
}

const segments = (key: string) => key.split(".");

/** The rules, in the order they are checked. */
export const HIDE_RULES: readonly HideRule[] = [
  { reason: "not a number (labels, names, flags)", hides: (_k, v) => typeof v !== "number" },
  {
    reason: "an item of a list (curves, per-unit values)",
    hides: (k) => segments(k).some((s) => /^\d+$/.test(s)),
  },
  { reason: "an echo of the params, not a result", hides: (k) => segments(k).includes("params") },
  {
    reason: "where and how fast it ran (timings, throughput, hardware), not what it found",
    hides: (k) =>
      segments(k).some((s) =>
        /^(backend|time_s|timings?|seconds|wall_seconds|ms|duration)$/.test(s) ||
        /(_seconds|_secs|_ms|_time|_per_sec|per_second)$/.test(s)
      ),
  },
];

/** The rule that hides `key`, if any. */
function hiddenBy(key: string, value: number | string | boolean): HideRule | undefined {
  return HIDE_RULES.find((r) => r.hides(key, value));
}

/** The metrics the compact view keeps. */
export function compact(m: FlatMetrics): FlatMetrics {
  return Object.fromEntries(Object.entries(m).filter(([k, v]) => !hiddenBy(k, v)));
}
