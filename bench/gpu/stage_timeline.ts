/**
 * When each stage of one pipeline run started and ended, from its run records, relative to the moment the
 * run was launched: where the run's wall went between the launch, the first stage, the last stage's end and
 * the runner's exit. Also the stages in flight over time, in steps of 0.5 s, so that idle hosts show.
 *
 * Run: `deno run -A bench/gpu/stage_timeline.ts DIR [LAUNCH_MS [EXIT_MS]]` where DIR is a project's
 * `.pipeline` (the newest record of each stage counts) and LAUNCH_MS and EXIT_MS are the Unix times in ms at
 * which `deno task repro` was started and returned (bench/gpu/pipeline.sh logs both); without them the first
 * stage's start is time 0.
 *
 * @example
 * ```ts
 * import { timeline } from "./stage_timeline.ts";
 * const spans = timeline([{ stage: "a", started: "2026-01-01T00:00:01.000Z", wall_seconds: 2 }], 0);
 * // spans[0]: { stage: "a", start: 1, end: 3 } (seconds after Unix time 0)
 * ```
 *
 * @module
 */
import { readRunRecords } from "../../pipeline/run_records.ts";

/** One stage's span, in seconds after the launch. */
export interface Span {
  stage: string;
  start: number;
  end: number;
}

/** The newest record of each stage as a span relative to `launchMs`, ordered by start. */
export function timeline(
  records: readonly { stage: string; started: string; wall_seconds: number }[],
  launchMs: number,
): Span[] {
  const newest = new Map<string, Span>();
  for (const r of records) {
    const start = (Date.parse(r.started) - launchMs) / 1000;
    const seen = newest.get(r.stage);
    if (!seen || seen.start < start) {
      newest.set(r.stage, { stage: r.stage, start, end: start + r.wall_seconds });
    }
  }
  return [...newest.values()].sort((a, b) => a.start - b.start || a.stage.localeCompare(b.stage));
}

/**
 * How many spans overlap each step from the first start to the last end (the mean over the step): steps of
 * 0.5 s, longer where that would make more than 60.
 */
export function inFlight(spans: readonly Span[]): { step: number; counts: number[] } {
  if (spans.length === 0) return { step: 0.5, counts: [] };
  const from = Math.min(...spans.map((s) => s.start));
  const to = Math.max(...spans.map((s) => s.end));
  const step = Math.max(0.5, (to - from) / 60);
  const counts: number[] = [];
  for (let t = from; t < to; t += step) {
    const busy = spans.reduce(
      (sum, s) => sum + Math.max(0, Math.min(s.end, t + step) - Math.max(s.start, t)),
      0,
    );
    counts.push(busy / step);
  }
  return { step, counts };
}

if (import.meta.main) {
  const [dir, launch, exit] = Deno.args;
  if (!dir) {
    console.error("usage: deno run -A bench/gpu/stage_timeline.ts <project>/.pipeline [LAUNCH_MS [EXIT_MS]]");
    Deno.exit(2);
  }
  const records = await readRunRecords(dir, { last: 1 });
  const spans = timeline(
    records,
    launch ? Number(launch) : Math.min(...records.map((r) => Date.parse(r.started))),
  );
  const lastEnd = Math.max(...spans.map((s) => s.end));
  const sum = spans.reduce((t, s) => t + s.end - s.start, 0);
  console.log(`- launch → first stage: ${spans[0]?.start.toFixed(2)} s`);
  console.log(`- last stage ends: ${lastEnd.toFixed(2)} s; stage seconds in all: ${sum.toFixed(1)}`);
  if (exit) {
    console.log(
      `- last stage's end → runner's exit: ${
        ((Number(exit) - Number(launch)) / 1000 - lastEnd).toFixed(2)
      } s`,
    );
  }
  const flight = inFlight(spans);
  console.log(
    `- stages in flight per ${flight.step.toFixed(1)} s: ${flight.counts.map((n) => n.toFixed(1)).join(" ")}`,
  );
  console.log("\n| stage | start | end | wall |\n| --- | ---: | ---: | ---: |");
  for (const s of spans) {
    console.log(
      `| ${s.stage} | ${s.start.toFixed(2)} | ${s.end.toFixed(2)} | ${(s.end - s.start).toFixed(2)} |`,
    );
  }
}
