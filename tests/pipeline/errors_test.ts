import { deepStrictEqual as assertEquals, match as assertMatch, ok as assert } from "node:assert/strict";
import { makeToy } from "./helpers.ts";

async function failsWith(pipeline: unknown, params: unknown, pattern: RegExp, ...args: string[]) {
  await using toy = await makeToy(pipeline, params);
  const r = await toy.cli(...(args.length ? args : ["repro"]));
  assertEquals(r.code, 2, r.out);
  assertMatch(r.out, pattern);
  assert(!toy.exists("pipeline.lock"), "nothing recorded");
}

Deno.test("malformed pipeline.yaml names file, line and column", async () => {
  await failsWith("stages:\n  a:\n    cmd: [echo\n", {}, /pipeline\.yaml:\d+:\d+: invalid YAML/);
});

Deno.test("malformed params.yaml names file, line and column", async () => {
  await failsWith({ stages: { a: { cmd: "true" } } }, "a: 1\n b: 2\n", /params\.yaml:\d+:\d+: invalid YAML/);
});

Deno.test("an unknown stage key is reported at its line with a suggestion", async () => {
  await failsWith(
    "stages:\n  a:\n    cmd: echo\n    dpes: [x]\n",
    {},
    /pipeline\.yaml:4:5: unknown key 'dpes'.*did you mean 'deps'/,
  );
});

Deno.test("an unknown param key is reported at its line with a suggestion", async () => {
  await failsWith(
    "stages:\n  a:\n    cmd: echo\n    params: [train.lrr]\n",
    { train: { lr: 0.1 } },
    /pipeline\.yaml:4:14: stage 'a' declares param 'train\.lrr', which params\.yaml does not have \(did you mean 'train\.lr'\?\)/,
  );
});

Deno.test("an unknown ${key} in a command is reported", async () => {
  await failsWith(
    "stages:\n  a:\n    cmd: echo ${nope}\n",
    { yes: 1 },
    /pipeline\.yaml:3:5: '\$\{nope\}' names nothing/,
  );
});

Deno.test("a missing dep that no stage writes is a clear error before anything runs", async () => {
  await failsWith(
    { stages: { a: { cmd: "cat in.txt > a.txt", deps: ["in.txt"], outs: ["a.txt"] } } },
    {},
    /dep 'in\.txt' does not exist, and no stage writes it/,
    "status",
  );
});

Deno.test("a dependency cycle is reported with its path", async () => {
  await failsWith(
    {
      stages: {
        a: { cmd: "cat b.txt > a.txt", deps: ["b.txt"], outs: ["a.txt"] },
        b: { cmd: "cat a.txt > b.txt", deps: ["a.txt"], outs: ["b.txt"] },
      },
    },
    {},
    /dependency cycle: (a -> b -> a|b -> a -> b)/,
  );
});

Deno.test("two stages writing the same out is an error naming both", async () => {
  await failsWith(
    {
      stages: { a: { cmd: "echo > x", outs: ["x"] }, b: { cmd: "echo > x", outs: ["x"] } },
    },
    {},
    /stages 'a' \(pipeline\.yaml:2:3\) and 'b' \(pipeline\.yaml:\d+:3\) overlap: both write 'x'/,
  );
});

Deno.test("an out inside another stage's out is an error", async () => {
  await failsWith(
    {
      stages: { a: { cmd: "mkdir -p d", outs: ["d"] }, b: { cmd: "echo > d/x", outs: ["d/x"] } },
    },
    {},
    /'d\/x' lies inside 'd'/,
  );
});

Deno.test("an unknown target and an unknown command get suggestions", async () => {
  await failsWith(
    { stages: { train: { cmd: "true" } } },
    {},
    /no stage named 'trian'.*did you mean 'train'/,
    "repro",
    "trian",
  );
  await failsWith({ stages: { a: { cmd: "true" } } }, {}, /unknown command 'repo'/, "repo");
});

Deno.test("a missing pipeline.yaml says where it looked, and creates nothing", async () => {
  const dir = await Deno.makeTempDir();
  const { runCli } = await import("./helpers.ts");
  const r = await runCli(dir, ["repro"]);
  assertEquals(r.code, 2);
  assertMatch(r.out, /pipeline\.yaml not found in .*: create it, or pass -C DIR/);
  assertEquals([...Deno.readDirSync(dir)].length, 0);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a corrupt pipeline.lock is reported with what to do", async () => {
  await using toy = await makeToy({ stages: { a: { cmd: "echo > a", outs: ["a"] } } }, {});
  toy.write("pipeline.lock", "schema: 1\nstages:\n<<<<<<< HEAD\n  a: {}\n");
  const r = await toy.cli("status");
  assertEquals(r.code, 2);
  assertMatch(r.out, /pipeline\.lock: not valid YAML.*merge conflict/);
});
