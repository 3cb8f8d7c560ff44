import assert from "node:assert/strict";
import { summarizeCorruptions } from "../../../lib/corruptions/metrics.ts";
import { assertClose } from "./helpers.ts";

Deno.test("summaries: benchmark and extras apart, drop and ratio against clean, per severity and group", () => {
  const s = summarizeCorruptions(0.8, {
    fog: { "1": 0.7, "2": 0.5 },
    gaussian_noise: { "1": 0.6, "2": 0.4 },
    spatter: { "1": 0.2, "2": 0.2 },
  });
  assertClose(s.benchmark!.mean_accuracy, 0.55, 1e-12);
  assertClose(s.benchmark!.drop, 0.25, 1e-12);
  assertClose(s.benchmark!.ratio!, 0.55 / 0.8, 1e-12);
  assert.equal(s.benchmark!.cells, 4);
  assertClose(s.extra!.mean_accuracy, 0.2, 1e-12);
  assertClose(s.per_severity["1"].mean_accuracy, 0.65, 1e-12); // extras excluded
  assertClose(s.per_group.weather.mean_accuracy, 0.6, 1e-12);
  assertClose(s.per_group.noise.mean_accuracy, 0.5, 1e-12);
  assertClose(s.per_corruption.spatter!.mean_accuracy, 0.2, 1e-12);
  const none = summarizeCorruptions(0, { saturate: { "3": 0.1 } });
  assert.equal(none.benchmark, null);
  assert.equal(none.extra!.ratio, null);
});
