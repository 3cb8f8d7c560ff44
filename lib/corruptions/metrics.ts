/**
 * Summary metrics of a corruption evaluation (docs/method.md §4, docs/method.md §4.7.1): per-(corruption, severity)
 * accuracy → mean corrupted accuracy (unweighted mean over cells), the clean-controlled drop (clean −
 * corrupted) and ratio (corrupted / clean), per corruption, per severity and per group. Benchmark and extra
 * corruptions are summarised separately.
 *
 * @module
 */
import { CORRUPTION_GROUP, type CorruptionName, EXTRA_CORRUPTIONS } from "./registry.ts";

/** Accuracy per corruption, per severity ("1".."5"). */
export type AccuracyTable = Partial<Record<CorruptionName, Record<string, number>>>;

/** Mean accuracy of a set of cells with its clean-controlled forms. */
export interface Summary {
  mean_accuracy: number;
  /** clean − mean_accuracy. */
  drop: number;
  /** mean_accuracy / clean (null when clean accuracy is 0). */
  ratio: number | null;
  cells: number;
}

/** All summaries of one evaluation. */
export interface CorruptionSummary {
  /** Over the benchmark corruptions evaluated (the 15 × 5 mean when all ran); null if none ran. */
  benchmark: Summary | null;
  /** Over the extra corruptions evaluated; null if none ran. */
  extra: Summary | null;
  per_corruption: Partial<Record<CorruptionName, Summary>>;
  /** Benchmark corruptions only. */
  per_severity: Record<string, Summary>;
  /** noise / blur / weather / digital (benchmark) and extra. */
  per_group: Record<string, Summary>;
}

function summary(values: number[], clean: number): Summary | null {
  if (values.length === 0) return null;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return {
    mean_accuracy: mean,
    drop: clean - mean,
    ratio: clean > 0 ? mean / clean : null,
    cells: values.length,
  };
}

/**
 * Summaries of `table` given the clean accuracy.
 *
 * @example
 * const s = summarizeCorruptions(0.9, { fog: { "1": 0.85, "2": 0.8 } });
 * s.benchmark!.mean_accuracy; // 0.825
 */
export function summarizeCorruptions(clean: number, table: AccuracyTable): CorruptionSummary {
  const isExtra = (n: string) => (EXTRA_CORRUPTIONS as readonly string[]).includes(n);
  const entries = Object.entries(table) as [CorruptionName, Record<string, number>][];
  const cells = (pred: (name: CorruptionName, sev: string) => boolean) =>
    entries.flatMap(([name, bySev]) =>
      Object.entries(bySev).filter(([s]) => pred(name, s)).map(([, a]) => a)
    );
  const perCorruption: CorruptionSummary["per_corruption"] = {};
  for (const [name] of entries) {
    const s = summary(cells((n) => n === name), clean);
    if (s) perCorruption[name] = s;
  }
  const perSeverity: Record<string, Summary> = {};
  const severities = [...new Set(entries.flatMap(([, b]) => Object.keys(b)))].sort();
  for (const sev of severities) {
    const s = summary(cells((n, sv) => sv === sev && !isExtra(n)), clean);
    if (s) perSeverity[sev] = s;
  }
  const perGroup: Record<string, Summary> = {};
  for (const group of ["noise", "blur", "weather", "digital", "extra"]) {
    const s = summary(cells((n) => CORRUPTION_GROUP[n] === group), clean);
    if (s) perGroup[group] = s;
  }
  return {
    benchmark: summary(cells((n) => !isExtra(n)), clean),
    extra: summary(cells((n) => isExtra(n)), clean),
    per_corruption: perCorruption,
    per_severity: perSeverity,
    per_group: perGroup,
  };
}
