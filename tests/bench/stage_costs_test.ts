/**
 * bench/gpu/stage_costs.ts: the newest record of each stage counts, stages are grouped by name before `@`, and
 * the group's means of wall, CPU seconds and WebGPU calls are tabled with its fastest and slowest run.
 */
import assert from "node:assert/strict";
import { costsTable, groupCosts } from "../../bench/gpu/stage_costs.ts";
import type { RunRecord } from "../../pipeline/run_records.ts";

const record = (stage: string, wall: number, facts?: Record<string, unknown>): RunRecord => ({
  stage,
  key: "k",
  started: "2026-12-07T00:00:00.000Z",
  wall_seconds: wall,
  exit_code: 0,
  max_rss_kb: 1,
  host: "h",
  log: "l",
  ...(facts ? { facts } : {}),
});

const api = (reads: number, ms: number) => ({ "buffer.mapAsync": { calls: reads, ms, bytes: 0 } });

Deno.test("groupCosts: newest record per stage, means per group, min and max wall", () => {
  const groups = groupCosts([
    record("train@0-1", 2, { cpu_seconds: 1.5, gpu_api: api(4, 40) }), // newest first
    record("train@0-1", 9, { cpu_seconds: 9, gpu_api: api(99, 990) }), // an older run: ignored
    record("train@1-1", 1, { cpu_seconds: 0.5, gpu_api: api(2, 20) }),
    record("aggregate", 3),
  ]);
  assert.deepEqual(groups.map((g) => [g.group, g.n]), [["aggregate", 1], ["train", 2]]);
  const train = groups[1];
  assert.equal(train.wall, 1.5);
  assert.equal(train.minWall, 1);
  assert.equal(train.maxWall, 2);
  assert.equal(train.cpu, 1);
  assert.deepEqual(train.api["buffer.mapAsync"], { calls: 3, ms: 30 });
  assert.deepEqual(train.api["queue.submit"], { calls: 0, ms: 0 });
  assert.equal(groups[0].cpu, null, "no CPU figure without facts");
  const table = costsTable(groups);
  assert.match(table, /\| train \| 2 \| 1\.50 \(1\.0–2\.0\) \| 1\.00 \| 0 \/ 0 \| 3 \/ 30 \|/);
  assert.match(table, /\| aggregate \| 1 \| 3\.00 \(3\.0–3\.0\) \| – \|/);
});
