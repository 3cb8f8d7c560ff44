/**
 * bench/schedule_replay.ts: the replay starts stages as repro does (upstream done, a slot free, earlier in the
 * order first), so the head of a long chain started late lengthens the run; and the run-record table parses.
 */
import assert from "node:assert/strict";
import { replay, wallsFromTable } from "../../bench/schedule_replay.ts";
import type { StageGraph } from "../../pipeline/graph.ts";

const graph: StageGraph = {
  stages: new Map(),
  upstream: new Map([["x", []], ["y", []], ["a", []], ["b", ["a"]]]),
  order: ["x", "y", "a", "b"],
};
const walls = new Map([["x", 3], ["y", 3], ["a", 2], ["b", 2]]);

Deno.test("replay: two slots, the chain's head first or last", () => {
  // x and y first: a starts at 3, b ends at 7. a first: a and x from 0, y from 2 (a's slot), b from 3 (x's): 5.
  assert.equal(replay(graph, ["x", "y", "a", "b"], walls, 2, 0), 7);
  assert.equal(replay(graph, ["a", "x", "y", "b"], walls, 2, 0), 5);
  assert.equal(
    replay(graph, ["a", "b", "x", "y"], walls, 1, 0.5),
    12,
    "one slot: the sum plus the overheads",
  );
});

Deno.test("wallsFromTable: stage and wall from `metrics show --runs`", () => {
  const table = [
    "Stage                     Started               Wall   Exit  Peak RSS  Host  Stage facts",
    "train@0-1                 2026-12-07 10:26:42Z  0.9s   0     352 MiB   vm    backend.name=webgpu",
    "aggregate                 2026-12-07 10:27:00Z  12.5s  0     100 MiB   vm    ",
  ].join("\n");
  assert.deepEqual([...wallsFromTable(table)], [["train@0-1", 0.9], ["aggregate", 12.5]]);
});
