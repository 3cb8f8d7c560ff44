/**
 * Run-cache and stage-key edge cases, each checked by the result a wrong runner would produce (the output's
 * content and whether the command ran), not by the message it prints.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { counted, makeToy, spawnCli } from "./helpers.ts";

/** Every object file in the toy's cache whose text is `text`. */
function objectsHolding(dir: string, text: string): string[] {
  const root = `${dir}/.pipeline/cache/objects`;
  const found: string[] = [];
  for (const p of Deno.readDirSync(root)) {
    for (const o of Deno.readDirSync(`${root}/${p.name}`)) {
      const path = `${root}/${p.name}/${o.name}`;
      if (Deno.readTextFileSync(path) === text) found.push(path);
    }
  }
  return found;
}

async function waitFor(path: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      Deno.statSync(path);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`timed out waiting for ${path}`);
}

Deno.test("a dep edited while its stage runs: no run-cache entry under the old key, so reverting reruns", async () => {
  await using toy = await makeToy({
    stages: {
      a: {
        cmd: counted("a", "touch started && while [ ! -f go ]; do sleep 0.05; done && cat in.txt > out.txt"),
        deps: ["in.txt"],
        outs: ["out.txt"],
      },
    },
  }, {});
  toy.write("in.txt", "v1\n");
  const child = spawnCli(toy.dir, ["repro"]);
  await waitFor(`${toy.dir}/started`);
  toy.write("in.txt", "v2\n"); // hashed as v1 before the run; the command reads v2
  toy.write("go", "");
  const first = await child.output();
  assertEquals(first.code, 0);
  assertEquals(toy.read("out.txt"), "v2\n");
  // in.txt is v2 now, which was never the key of a run: the stage runs again.
  assertEquals((await toy.cli("repro")).code, 0);
  assertEquals(toy.runs(), { a: 2 });
  // Back to v1: a run-cache entry saved under v1's key would restore "v2" here without running.
  toy.write("in.txt", "v1\n");
  assertEquals((await toy.cli("repro")).code, 0);
  assertEquals(toy.read("out.txt"), "v1\n");
  assertEquals(toy.runs(), { a: 3 });
});

Deno.test("run-cache: an entry whose objects are gone is skipped for an older complete one, else the stage runs", async () => {
  await using toy = await makeToy({
    stages: {
      // Not deterministic on purpose: each run writes its run number, so the entry restored is visible.
      a: { cmd: counted("a", "echo ${v}-$(wc -l < runs.log) > a.txt"), params: ["v"], outs: ["a.txt"] },
    },
  }, { v: 1 });
  await toy.cli("repro"); // v1, run 1 → "1-1"
  await new Promise((r) => setTimeout(r, 20)); // distinct entry mtimes
  await toy.cli("repro", "--force"); // v1, run 2 → "1-2", the newer entry of the same key
  assertEquals(toy.read("a.txt"), "1-2\n");
  toy.write("params.yaml", "v: 2\n");
  await toy.cli("repro"); // run 3
  toy.write("params.yaml", "v: 1\n");
  await toy.cli("repro");
  assertEquals(toy.read("a.txt"), "1-2\n", "of two complete entries, the newest is restored");
  toy.write("params.yaml", "v: 2\n");
  await toy.cli("repro");
  for (const path of objectsHolding(toy.dir, "1-2\n")) Deno.removeSync(path);
  toy.write("params.yaml", "v: 1\n");
  assertEquals((await toy.cli("repro")).code, 0);
  assertEquals(toy.read("a.txt"), "1-1\n", "the older entry, whose object is still there, is restored");
  assertEquals(toy.runs(), { a: 3 });
  // Now both v1 results lose their objects: nothing to restore, so the command runs.
  toy.write("params.yaml", "v: 2\n");
  await toy.cli("repro"); // restored from the run-cache
  for (const path of objectsHolding(toy.dir, "1-1\n")) Deno.removeSync(path);
  toy.write("params.yaml", "v: 1\n");
  assertEquals((await toy.cli("repro")).code, 0);
  assertEquals(toy.read("a.txt"), "1-4\n");
  assertEquals(toy.runs(), { a: 4 });
});

Deno.test("stage key: changing wdir alone reruns in the new folder; reverting restores the old result", async () => {
  const pipeline = (wdir: string) => ({
    stages: { a: { wdir, cmd: "echo a >> ../runs.log && cat name.txt > ../out.txt", outs: ["../out.txt"] } },
  });
  await using toy = await makeToy(pipeline("left"), {});
  toy.write("left/name.txt", "left\n");
  toy.write("right/name.txt", "right\n");
  await toy.cli("repro");
  assertEquals(toy.read("out.txt"), "left\n");
  // Same command, same outs, no deps: only wdir differs. A key without wdir would say "up to date".
  toy.write("pipeline.yaml", JSON.stringify(pipeline("right")));
  assertEquals((await toy.cli("repro")).code, 0);
  assertEquals(toy.read("out.txt"), "right\n");
  toy.write("pipeline.yaml", JSON.stringify(pipeline("left")));
  assertEquals((await toy.cli("repro")).code, 0);
  assertEquals(toy.read("out.txt"), "left\n");
  assertEquals(toy.runs(), { a: 2 }, "the left result came back from the run-cache");
});

Deno.test("stage key: changing only the command reruns it; reverting restores the old result", async () => {
  const pipeline = (word: string) => ({
    stages: { a: { cmd: counted("a", `echo ${word} > out.txt`), outs: ["out.txt"] } },
  });
  await using toy = await makeToy(pipeline("one"), {});
  await toy.cli("repro");
  toy.write("pipeline.yaml", JSON.stringify(pipeline("two")));
  assertEquals((await toy.cli("repro")).code, 0);
  assertEquals(toy.read("out.txt"), "two\n");
  toy.write("pipeline.yaml", JSON.stringify(pipeline("one")));
  assertEquals((await toy.cli("repro")).code, 0);
  assertEquals(toy.read("out.txt"), "one\n");
  assertEquals(toy.runs(), { a: 2 });
});

Deno.test("gc drops exactly the run-cache entries whose objects it removed; --dry drops none", async () => {
  await using toy = await makeToy({
    stages: { a: { cmd: counted("a", "echo ${v} > a.txt"), params: ["v"], outs: ["a.txt"] } },
  }, { v: 1 });
  await toy.cli("repro");
  toy.write("params.yaml", "v: 2\n");
  await toy.cli("repro");
  const entries = () =>
    [...Deno.readDirSync(`${toy.dir}/.pipeline/cache/runs`)].flatMap((
      k,
    ) => [...Deno.readDirSync(`${toy.dir}/.pipeline/cache/runs/${k.name}`)]).length;
  assertEquals(entries(), 2);
  assertEquals((await toy.cli("gc", "--dry")).code, 0);
  assertEquals(entries(), 2, "--dry keeps every entry");
  assertEquals((await toy.cli("gc")).code, 0);
  assertEquals(entries(), 1, "the v=1 entry, whose object gc removed, is gone; the current one stays");
  toy.write("params.yaml", "v: 2\n");
  assertEquals((await toy.cli("repro")).code, 0);
  assertEquals(toy.runs(), { a: 2 });
});
