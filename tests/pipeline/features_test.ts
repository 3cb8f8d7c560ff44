import { deepStrictEqual as assertEquals, match as assertMatch, ok as assert } from "node:assert/strict";
import { counted, git, makeToy } from "./helpers.ts";

Deno.test("glob deps: adding a matching file reruns the stage and status says which", async () => {
  await using toy = await makeToy({
    stages: {
      cat: { cmd: counted("cat", "cat src/*.txt > all.txt"), deps: ["src/*.txt"], outs: ["all.txt"] },
    },
  }, {});
  toy.write("src/a.txt", "a\n");
  await toy.cli("repro");
  toy.write("src/b.txt", "b\n");
  toy.write("src/ignored.md", "x\n");
  const s = await toy.cli("status");
  assertMatch(s.out, /dep 'src\/\*\.txt' modified \(\+src\/b\.txt\)/);
  await toy.cli("repro");
  assertEquals(toy.read("all.txt"), "a\nb\n");
  assertMatch(toy.read("pipeline.lock"), /src\/b\.txt: [0-9a-f]{32}/);
});

Deno.test("foreach expands stages named group@item, and a group name selects them all", async () => {
  await using toy = await makeToy({
    stages: {
      gen: {
        foreach: ["x", "y"],
        do: { cmd: counted("gen", "echo ${item} > gen-${item}.txt"), outs: ["gen-${item}.txt"] },
      },
      other: { cmd: counted("other", "echo o > o.txt"), outs: ["o.txt"] },
    },
  }, {});
  const dag = await toy.cli("dag");
  assertMatch(dag.out, /gen@x/);
  assertMatch(dag.out, /gen@y/);
  await toy.cli("repro", "gen");
  assertEquals(toy.runs(), { gen: 2 });
  assertEquals(toy.read("gen-y.txt"), "y\n");
});

Deno.test("matrix over params: editing the grid adds stages without rerunning the old ones", async () => {
  await using toy = await makeToy({
    stages: {
      train: {
        matrix: { alpha: "${grid.alpha}", seed: "${grid.seeds}" },
        cmd: counted("train", "echo ${item.alpha} ${item.seed} > m-${item.alpha}-${item.seed}.txt"),
        outs: ["m-${item.alpha}-${item.seed}.txt"],
      },
    },
  }, { grid: { alpha: [0, 1], seeds: [0] } });
  await toy.cli("repro");
  toy.write("params.yaml", "grid:\n  alpha: [0, 1, -1]\n  seeds: [0]\n");
  const r = await toy.cli("repro");
  assertMatch(r.out, /train@-1-0: running/);
  assertEquals(toy.runs(), { train: 3 });
});

Deno.test("dag renders text, mermaid and dot", async () => {
  await using toy = await makeToy({
    stages: { a: { cmd: "echo > a", outs: ["a"] }, b: { cmd: "cat a > b", deps: ["a"], outs: ["b"] } },
  }, {});
  assertMatch((await toy.cli("dag")).out, /^b {2}<- a$/m);
  assertMatch((await toy.cli("dag", "--mermaid")).out, /flowchart TD[\s\S]*s0 --> s1/);
  assertMatch((await toy.cli("dag", "--dot")).out, /"a" -> "b";/);
});

Deno.test("removing a dep from the stage reruns it (DVC would not)", async () => {
  await using toy = await makeToy({
    stages: { a: { cmd: counted("a", "echo > a"), deps: ["x", "y"], outs: ["a"] } },
  }, {});
  toy.write("x", "1");
  toy.write("y", "2");
  await toy.cli("repro");
  toy.write("pipeline.yaml", toy.read("pipeline.yaml").replace("      - y\n", ""));
  const s = await toy.cli("status");
  assertMatch(s.out, /dep 'y' removed/);
});

Deno.test("params diff and metrics diff against a git revision, as text and Markdown", async () => {
  await using toy = await makeToy({
    stages: {
      m: { cmd: 'echo \'{"acc": ${lr}, "n": {"k": 1}}\' > m.json', params: ["lr"], metrics: ["m.json"] },
      o: { cmd: "true", params: ["other"] }, // every params.yaml section must be read by some stage
    },
  }, { lr: 0.5, other: "x" });
  await toy.cli("repro");
  await git(toy.dir, "init", "-q");
  await git(toy.dir, "add", "-A");
  await git(toy.dir, "commit", "-qm", "base");
  toy.write("params.yaml", "lr: 0.75\nother: x\n");
  await toy.cli("repro");
  const pd = await toy.cli("params", "diff", "--md");
  assertMatch(pd.out, /\| lr \| 0\.5 \| 0\.75 \|/);
  assert(!pd.out.includes("other"));
  const md = await toy.cli("metrics", "diff", "--md");
  assertMatch(md.out, /\| m\.json \| acc \| 0\.5 \| 0\.75 \| 0\.25 \|/);
  assert(!md.out.includes("n.k"), "unchanged metrics are not listed");
  const show = await toy.cli("metrics", "show", "--json");
  assertEquals(JSON.parse(show.out), { "m.json": { acc: 0.75, "n.k": 1 } });
});

Deno.test("metrics diff reads an untracked metrics file of the old revision from the cache", async () => {
  await using toy = await makeToy({
    stages: { m: { cmd: "echo '{\"acc\": ${lr}}' > m.json", params: ["lr"], metrics: ["m.json"] } },
  }, { lr: 1 });
  toy.write(".gitignore", "m.json\n.pipeline/\n");
  await toy.cli("repro");
  await git(toy.dir, "init", "-q");
  await git(toy.dir, "add", "-A");
  await git(toy.dir, "commit", "-qm", "base");
  toy.write("params.yaml", "lr: 2\n");
  await toy.cli("repro");
  const md = await toy.cli("metrics", "diff", "HEAD", "--json");
  assertEquals(JSON.parse(md.out), [{ path: "m.json", key: "acc", old: 1, new: 2, delta: 1 }]);
});

Deno.test("gc drops objects nothing refers to and keeps the current outputs restorable", async () => {
  await using toy = await makeToy({
    stages: { a: { cmd: "head -c 100000 /dev/urandom > a.bin", params: ["v"], outs: ["a.bin"] } },
  }, { v: 1 });
  await toy.cli("repro");
  toy.write("params.yaml", "v: 2\n");
  await toy.cli("repro");
  const dry = await toy.cli("gc", "--dry");
  assertMatch(dry.out, /would remove 1 cache objects/);
  const r = await toy.cli("gc");
  assertMatch(r.out, /removed 1 cache objects .* and 1 run-cache entries/);
  Deno.removeSync(`${toy.dir}/a.bin`);
  const s = await toy.cli("status");
  assertMatch(s.out, /restore/);
  toy.write("params.yaml", "v: 1\n");
  assertMatch((await toy.cli("status")).out, /▶ a\s+run/, "the v=1 result was collected, so it must run");
});

Deno.test("wdir: commands run in it and paths are relative to it", async () => {
  await using toy = await makeToy({
    stages: { a: { wdir: "sub", cmd: "cat in.txt > ../out.txt", deps: ["in.txt"], outs: ["../out.txt"] } },
  }, {});
  toy.write("sub/in.txt", "hello\n");
  assertEquals((await toy.cli("repro")).code, 0);
  assertEquals(toy.read("out.txt"), "hello\n");
  assertMatch(toy.read("pipeline.lock"), /sub\/in\.txt/);
});

Deno.test("a stage sees exactly its declared params, nested, in PIPELINE_PARAMS", async () => {
  await using toy = await makeToy({
    stages: {
      a: { cmd: 'echo "$PIPELINE_PARAMS" > p.json', params: ["train.lr", "data"], outs: ["p.json"] },
      b: { cmd: "true", params: ["secret"] }, // declared by another stage: a does not see it
    },
  }, { train: { lr: 0.1, epochs: 3 }, data: { n: 5 }, secret: 1 });
  await toy.cli("repro");
  assertEquals(JSON.parse(toy.read("p.json")), { train: { lr: 0.1 }, data: { n: 5 } });
});

Deno.test("a stage gets its key in PIPELINE_STAGE_KEY: the same for the same inputs, new when a dep changes", async () => {
  await using toy = await makeToy({
    stages: { a: { cmd: 'echo "$PIPELINE_STAGE_KEY" > key.txt', deps: ["in.txt"], outs: ["key.txt"] } },
  }, {});
  toy.write("in.txt", "1\n");
  await toy.cli("repro");
  const first = toy.read("key.txt").trim();
  assertMatch(first, /^[0-9a-f]{64}$/);
  assertMatch(toy.read("pipeline.lock"), new RegExp(first.slice(0, 16)));
  await toy.cli("repro", "--force");
  assertEquals(toy.read("key.txt").trim(), first, "forced rerun, same inputs");
  toy.write("in.txt", "2\n");
  await toy.cli("repro");
  assert(toy.read("key.txt").trim() !== first, "a changed dep gives a new key");
});

Deno.test("top-level env marked execution_only reaches every command and is part of no fingerprint", async () => {
  await using toy = await makeToy({
    env: { BACKEND: { value: "${runtime.backend}", execution_only: true } },
    stages: { a: { cmd: counted("a", "echo $BACKEND > a.txt"), params: ["lr"], outs: ["a.txt"] } },
  }, { lr: 1, runtime: { backend: "wasm" } });
  await toy.cli("repro");
  assertEquals(toy.read("a.txt"), "wasm\n");
  toy.write("params.yaml", "lr: 1\nruntime:\n  backend: webgpu\n");
  assertMatch((await toy.cli("repro")).out, /Everything is up to date/);
  assertEquals((await toy.cli("repro", "--force", "--set", "runtime.backend=cpu")).code, 0);
  assertEquals(toy.read("a.txt"), "cpu\n");
  assertEquals(toy.runs(), { a: 2 });
});
