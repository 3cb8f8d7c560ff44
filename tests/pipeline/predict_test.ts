import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { counted, makeToy, type Toy } from "./helpers.ts";

/** a and b write into out/; c reads the directory out, d the glob out/*.txt; e reads c and d. */
function fanIn() {
  return {
    stages: {
      a: {
        cmd: counted("a", "mkdir -p out && echo ${p.a} > out/a.txt"),
        params: ["p.a"],
        outs: ["out/a.txt"],
      },
      b: {
        cmd: counted("b", "mkdir -p out && echo ${p.b} > out/b.txt"),
        params: ["p.b"],
        outs: ["out/b.txt"],
      },
      c: {
        cmd: counted("c", "ls out | wc -l > c.txt && cat out/*.txt >> c.txt"),
        deps: ["out"],
        outs: ["c.txt"],
      },
      d: { cmd: counted("d", "cat out/*.txt > d.txt"), deps: ["out/*.txt"], outs: ["d.txt"] },
      e: { cmd: counted("e", "cat c.txt d.txt > e.txt"), deps: ["c.txt", "d.txt"], outs: ["e.txt"] },
    },
  };
}

type Actions = Record<string, string>;

/** What `status --json` and `repro --dry` predict (run and restore only), then what `repro` did. */
async function predictThenRepro(
  toy: Toy,
  ...args: string[]
): Promise<{ status: Actions; dry: Actions; did: Actions }> {
  const status: Actions = {};
  if (!args.includes("--force")) {
    const s = await toy.cli("status", "--json", ...args);
    assertEquals(s.code, 0, s.out);
    for (const d of JSON.parse(s.out)) {
      if (d.action === "run" || d.action === "restore") status[d.stage] = d.action;
    }
  }
  const dry: Actions = {};
  const dryOut = await toy.cli("repro", "--dry", ...args);
  assertEquals(dryOut.code, 0, dryOut.out);
  for (const m of dryOut.out.matchAll(/^(run|restore)\s+(\S+)/gm)) dry[m[2]] = m[1];
  const before = toy.runs();
  const r = await toy.cli("repro", ...args);
  assertEquals(r.code, 0, r.out);
  const did: Actions = {};
  for (const m of r.out.matchAll(/^(?:\[\d+\/\d+\] )?✓ (\S+): (ran|restored) in/gm)) {
    did[m[1]] = m[2] === "ran" ? "run" : "restore";
  }
  const after = toy.runs();
  for (const [stage, n] of Object.entries(after)) {
    assertEquals(
      n - (before[stage] ?? 0),
      did[stage] === "run" ? 1 : 0,
      `${stage}: runs.log agrees with the report`,
    );
  }
  return { status, dry, did };
}

async function assertPredicted(toy: Toy, expected: Actions, ...args: string[]) {
  const { status, dry, did } = await predictThenRepro(toy, ...args);
  assertEquals(did, expected, "repro did what this scenario expects");
  assertEquals(dry, did, `repro --dry ${args.join(" ")} predicted what repro did`);
  if (!args.includes("--force")) assertEquals(status, did, "status predicted what repro did");
}

Deno.test("prediction = repro: restoring an out inside a directory dep and a glob dep leaves readers up to date", async () => {
  await using toy = await makeToy(fanIn(), { p: { a: 1, b: 2 } });
  await assertPredicted(toy, { a: "run", b: "run", c: "run", d: "run", e: "run" });
  Deno.removeSync(`${toy.dir}/out/a.txt`);
  await assertPredicted(toy, { a: "restore" });
  Deno.removeSync(`${toy.dir}/out`, { recursive: true });
  await assertPredicted(toy, { a: "restore", b: "restore" });
  await assertPredicted(toy, {});
});

Deno.test("prediction = repro: a param changed and changed back restores every stage from the run-cache", async () => {
  await using toy = await makeToy(fanIn(), { p: { a: 1, b: 2 } });
  await assertPredicted(toy, { a: "run", b: "run", c: "run", d: "run", e: "run" });
  await assertPredicted(toy, { a: "run", c: "run", d: "run", e: "run" }, "--set=p.a=5");
  await assertPredicted(toy, { a: "restore", c: "restore", d: "restore", e: "restore" });
  assertEquals(toy.read("e.txt"), "2\n1\n2\n1\n2\n");
});

Deno.test("prediction = repro: --dry --force runs the targets (not their upstream), or everything", async () => {
  await using toy = await makeToy(fanIn(), { p: { a: 1, b: 2 } });
  await assertPredicted(toy, { a: "run", b: "run", c: "run", d: "run", e: "run" });
  await assertPredicted(toy, { c: "run" }, "--force", "c");
  await assertPredicted(toy, { a: "run", b: "run", c: "run", d: "run", e: "run" }, "--force");
  assert(toy.exists("e.txt"));
});

Deno.test("prediction = repro: a glob dep over a restored directory out, and a dep inside it", async () => {
  await using toy = await makeToy({
    stages: {
      w: {
        cmd: counted("w", "mkdir -p w && echo ${n} > w/1.txt && echo 2 > w/2.txt && echo x > w/3.md"),
        params: ["n"],
        outs: ["w"],
      },
      g: { cmd: counted("g", "cat w/*.txt > g.txt"), deps: ["w/*.txt"], outs: ["g.txt"] },
      i: { cmd: counted("i", "cat w/1.txt > i.txt"), deps: ["w/1.txt"], outs: ["i.txt"] },
    },
  }, { n: 1 });
  await assertPredicted(toy, { w: "run", g: "run", i: "run" });
  Deno.removeSync(`${toy.dir}/w`, { recursive: true });
  await assertPredicted(toy, { w: "restore" });
  await assertPredicted(toy, { w: "run", g: "run", i: "run" }, "--set=n=2");
  await assertPredicted(toy, { w: "restore", g: "restore", i: "restore" });
});
