/**
 * Stage progress for the runner's display: a stage appends one JSON line per update to the file the runner
 * names in `PIPELINE_PROGRESS`, `{"done": 3, "total": 10, "label": "epoch 3/10"}`; the runner shows the latest
 * as a bar (pipeline/progress.ts). Updates are throttled (at most one line per `minIntervalMs`, except the
 * last of a task and a changed label), so a tight loop costs nothing. Run by hand, without the variable,
 * updates are dropped.
 *
 * @example
 * ```ts
 * const progress = stageProgress();
 * for (let i = 1; i <= 10; i++) progress.update(i, 10, `epoch ${i}/10`);
 * ```
 *
 * @module
 */

/** Environment variable through which the runner names the progress file. */
export const PROGRESS_ENV = "PIPELINE_PROGRESS";

/** Writes progress updates for the runner. */
export interface StageProgress {
  /** `done` of `total` units of work; `label` says what is being done (e.g. "pgd-linf ε 4/255"). */
  update(done: number, total: number, label?: string): void;
}

/**
 * The running stage's progress writer (a no-op when the runner did not ask for progress).
 */
export function stageProgress(
  env: { get(key: string): string | undefined } = Deno.env,
  minIntervalMs = 250,
): StageProgress {
  const path = env.get(PROGRESS_ENV);
  if (!path) return { update() {} };
  const enc = new TextEncoder();
  let last = -Infinity, lastLabel: string | undefined;
  return {
    update(done, total, label) {
      const now = performance.now();
      if (now - last < minIntervalMs && done < total && label === lastLabel) return;
      last = now;
      lastLabel = label;
      const line = JSON.stringify({ done, total, ...(label ? { label } : {}) }) + "\n";
      try {
        Deno.writeFileSync(path, enc.encode(line), { append: true, create: true });
      } catch { /* progress is best effort: never fail the stage over it */ }
    },
  };
}
