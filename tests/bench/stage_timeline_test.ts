/**
 * bench/gpu/stage_timeline.ts: each stage's newest record becomes a span relative to the launch, ordered by
 * start, and the stages in flight are averaged over each step.
 */
import assert from "node:assert/strict";
import { inFlight, timeline } from "../../bench/gpu/stage_timeline.ts";

const at = (ms: number) => new Date(Date.UTC(2026, 11, 7) + ms).toISOString();
const launch = Date.UTC(2026, 11, 7);

Deno.test("timeline: the newest record of each stage, in seconds after the launch, by start", () => {
  const spans = timeline([
    { stage: "b", started: at(1500), wall_seconds: 1 },
    { stage: "a", started: at(500), wall_seconds: 2 },
    { stage: "b", started: at(100), wall_seconds: 9 }, // an older run of b
  ], launch);
  assert.deepEqual(spans, [{ stage: "a", start: 0.5, end: 2.5 }, { stage: "b", start: 1.5, end: 2.5 }]);
});

Deno.test("inFlight: the mean number of stages running in each half second", () => {
  const { step, counts } = inFlight([{ stage: "a", start: 0, end: 1 }, {
    stage: "b",
    start: 0.25,
    end: 0.75,
  }]);
  assert.equal(step, 0.5);
  assert.deepEqual(counts, [1.5, 1.5]);
  // A long run is cut into 60 steps at most.
  assert.equal(inFlight([{ stage: "a", start: 0, end: 120 }]).counts.length, 60);
});
