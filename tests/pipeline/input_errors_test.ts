/**
 * Inputs that used to be accepted silently or explained wrongly: an empty foreach, a glob dep matching
 * nothing, a stage reading its own out, an unused params.yaml section; and the `$${VAR}` escape for shell
 * variables in a command.
 */
import { deepStrictEqual as assertEquals, match as assertMatch, ok as assert } from "node:assert/strict";
import { makeToy } from "./helpers.ts";

async function fails(pipeline: unknown, params: unknown, pattern: RegExp, ...args: string[]) {
  await using toy = await makeToy(pipeline, params);
  const r = await toy.cli(...(args.length ? args : ["status"]));
  assertEquals(r.code, 2, r.out);
  assertMatch(r.out, pattern);
  assert(!/ at async |TypeError/.test(r.out), r.out);
}

Deno.test("an empty foreach is an error at its line, also through a ${key} naming an empty list", async () => {
  await fails(
    "stages:\n  s:\n    foreach: []\n    do: {cmd: echo}\n",
    {},
    /pipeline\.yaml:3:5: 'foreach' of stage 's' is empty, so it makes no stages/,
  );
  await fails(
    "stages:\n  s:\n    foreach: ${items}\n    do: {cmd: echo}\n",
    { items: [] },
    /pipeline\.yaml:3:5: 'foreach' of stage 's' is empty/,
  );
});

Deno.test("a glob dep that matches no file is an error naming the stage and the pattern", async () => {
  await using toy = await makeToy(
    { stages: { s: { cmd: "echo > o", deps: ["src/*.cvs"], outs: ["o"] } } },
    {},
  );
  toy.write("src/a.csv", "1\n");
  const status = await toy.cli("status");
  assertEquals(status.code, 2, status.out);
  assertMatch(status.out, /stage 's' \(pipeline\.yaml:\d+:\d+\): dep glob 'src\/\*\.cvs' matches no file/);
  const repro = await toy.cli("repro");
  assertEquals(repro.code, 1, repro.out);
  assertMatch(repro.out, /dep glob 'src\/\*\.cvs' matches no file/);
  assert(!toy.exists("o"));
});

Deno.test("a stage whose dep is (inside) its own out is told so, not told to run itself", async () => {
  for (
    const [deps, outs] of [[["o.txt"], ["o.txt"]], [["d/raw.txt"], ["d"]], [["d"], ["d/clean.txt"]], [[
      "o*.txt",
    ], ["o1.txt"]]]
  ) {
    await fails(
      { stages: { s: { cmd: "echo > o.txt", deps, outs } } },
      {},
      new RegExp(
        `stage 's' \\(pipeline\\.yaml:\\d+:\\d+\\): dep '${
          deps[0].replace(/[.*]/g, "\\$&")
        }' overlaps its own out`,
      ),
    );
  }
});

Deno.test("a params.yaml section that no stage reads is an error at its line", async () => {
  await fails(
    { stages: { s: { cmd: "echo ${used.a}", params: ["train"] } } },
    "train:\n  lr: 0.1\nused:\n  a: 1\ntrian:\n  lr: 0.2\n",
    /params\.yaml:5:1: unknown section 'trian': no stage declares it .*\(did you mean 'train'\?\)/,
  );
  await using ok = await makeToy(
    { env: { X: "${runtime.n}" }, stages: { s: { cmd: "echo ${used.a}", params: ["train"] } } },
    { train: { lr: 0.1 }, used: { a: 1 }, runtime: { n: 2 } },
  );
  assertEquals((await ok.cli("status")).code, 0, "sections read through params, cmd or env are known");
});

Deno.test("$${VAR} in a cmd reaches the shell as ${VAR}; ${key} next to it is still interpolated", async () => {
  await using toy = await makeToy({
    env: { GREETING: "hello" },
    stages: {
      s: { cmd: 'echo "$${GREETING} ${who} $${#GREETING}" > o.txt', params: ["who"], outs: ["o.txt"] },
    },
  }, { who: "world" });
  const r = await toy.cli("repro");
  assertEquals(r.code, 0, r.out);
  assertEquals(toy.read("o.txt"), "hello world 5\n");
  assertMatch(toy.read("pipeline.lock"), /echo "\$\{GREETING\} world \$\{#GREETING\}"/);
});
