/**
 * The launch order of ready stages (pipeline/launch_order.ts): longest remaining path first, by recorded seconds
 * where there are records and by chain length where there are none, ties in file order; and `repro --jobs 1`
 * on a toy project starts the head of a long chain before a short stage written above it, then, with run
 * records, the stage that took longer last time first.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { launchOrder } from "../../pipeline/launch_order.ts";
import type { StageGraph } from "../../pipeline/graph.ts";
import { counted, makeToy } from "./helpers.ts";

/** A graph of `edges` (`[upstream, downstream]`), its names in the given (topological) order. */
function graph(names: string[], edges: [string, string][]): StageGraph {
  const upstream = new Map(names.map((n) => [n, edges.filter(([, d]) => d === n).map(([u]) => u)]));
  return { stages: new Map(), upstream, order: names };
}

Deno.test("launchOrder: longest remaining path first, ties in file order, still topological", () => {
  // short (alone) is first in the file; chain a → b → c is longer; d hangs off a.
  const g = graph(["short", "a", "b", "c", "d"], [["a", "b"], ["b", "c"], ["a", "d"]]);
  assertEquals(launchOrder(g, g.order, new Map()), ["a", "b", "short", "c", "d"]);
  // With records: short took 10 s, the chain 1 s a stage: short first.
  const seconds = new Map([["short", 10], ["a", 1], ["b", 1], ["c", 1], ["d", 1]]);
  assertEquals(launchOrder(g, g.order, seconds), ["short", "a", "b", "c", "d"]);
  // A stage without a record counts as the median of the others (here 2 s): d (2 s) ranks over c (1 s).
  const partial = new Map([["short", 3], ["a", 2], ["b", 2], ["c", 1]]);
  assertEquals(launchOrder(g, g.order, partial), ["a", "short", "b", "d", "c"]);
  // Only the selected stages count: without c, b's chain is as long as d's and short's.
  assertEquals(launchOrder(g, ["short", "a", "b", "d"], new Map()), ["a", "short", "b", "d"]);
});

Deno.test("repro --jobs 1 starts the head of the longest chain first, then the stage recorded as longest", async () => {
  await using toy = await makeToy({
    stages: {
      quick: { cmd: counted("quick", "sleep 0.3 && echo q > q.txt"), outs: ["q.txt"] },
      slow: { cmd: counted("slow", "sleep 0.8 && echo s > s.txt"), outs: ["s.txt"] },
      head: { cmd: counted("head", "echo h > h.txt"), outs: ["h.txt"] },
      tail: { cmd: counted("tail", "cat h.txt > t.txt"), deps: ["h.txt"], outs: ["t.txt"] },
    },
  }, {});
  const first = await toy.cli("repro", "--jobs", "1");
  assertEquals(first.code, 0, first.out);
  assertEquals(toy.read("runs.log").trim().split("\n"), ["head", "quick", "slow", "tail"]);
  Deno.removeSync(`${toy.dir}/runs.log`);
  const again = await toy.cli("repro", "--jobs", "1", "--force");
  assertEquals(again.code, 0, again.out);
  // The records know the seconds now: slow (0.8 s) and quick (0.3 s) outrank head + tail (two echoes).
  assertEquals(toy.read("runs.log").trim().split("\n"), ["slow", "quick", "head", "tail"]);
});
