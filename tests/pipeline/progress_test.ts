import { deepStrictEqual as assertEquals, match as assertMatch, ok as assert } from "node:assert/strict";
import {
  clock,
  parseProgressLine,
  PlainReporter,
  progressBar,
  ProgressFileTail,
  type ProgressUpdate,
  Tally,
} from "../../pipeline/progress.ts";
import { makeToy } from "./helpers.ts";

Deno.test("progress lines: valid updates parse, anything else is ignored", () => {
  assertEquals(parseProgressLine('{"done":1,"total":4,"label":"fgsm"}'), {
    done: 1,
    total: 4,
    label: "fgsm",
  });
  assertEquals(parseProgressLine('{"done":1,"total":0}'), undefined);
  assertEquals(parseProgressLine('{"done":"1","total":4}'), undefined);
  assertEquals(parseProgressLine("epoch 3"), undefined);
});

Deno.test("bar and clock", () => {
  assertEquals(progressBar({ done: 1, total: 4, label: "x" }, 8), "[██░░░░░░]  25% x");
  assertEquals(progressBar({ done: 9, total: 4 }, 4), "[████] 100%");
  assertEquals([clock(5), clock(75), clock(3700)], ["5s", "1m15s", "1h01m"]);
});

Deno.test("tally: [done/total], and an ETA from the finished share of the stages that run", () => {
  let now = 0;
  const t = new Tally(() => now);
  t.total = 4;
  t.done("cached"); // up to date: no work, not in the ETA
  assertEquals(t.eta(), undefined);
  t.started("a", "run");
  t.progressed("a", { done: 0, total: 2 });
  now = 10_000;
  t.progressed("a", { done: 1, total: 2 });
  // 3 stages do work; 0.5 of one done after 10 s: 10 × (3 − 0.5) / 0.5 = 50 s left.
  assert(Math.abs(t.eta()! - 50) < 1e-9, String(t.eta()));
  t.done("a");
  now = 20_000;
  assertEquals(t.header(), "[2/4] 20s elapsed, ETA 40s");
});

Deno.test("tally: restored stages and work done before this run do not shorten the ETA", () => {
  let now = 0;
  const t = new Tally(() => now);
  t.total = 12;
  for (let i = 0; i < 10; i++) {
    t.started(`r${i}`, "restore");
    t.done(`r${i}`);
  }
  // A training resumed at epoch 9 of 16 and another started fresh: 2 stages run, none of their work done yet.
  t.started("resumed", "run");
  t.started("fresh", "run");
  t.progressed("resumed", { done: 8, total: 16 });
  t.progressed("fresh", { done: 0, total: 16 });
  now = 1_000;
  assertEquals(t.eta(), undefined);
  // 60 s later the resumed one is at 12/16 (half of what was left), the fresh one at 4/16.
  now = 61_000;
  t.progressed("resumed", { done: 12, total: 16 });
  t.progressed("fresh", { done: 4, total: 16 });
  // f = (0.5 + 0.25) / 2 = 0.375 of the work, in 61 s: 61 × 0.625 / 0.375 ≈ 101.7 s left.
  assert(Math.abs(t.eta()! - 61 * 0.625 / 0.375) < 1e-9, String(t.eta()));
});

Deno.test("plain reporter: progress at most once per interval per stage, not a flood", () => {
  let now = 0;
  const lines: string[] = [];
  const r = new PlainReporter((s) => lines.push(s), 10_000, () => now);
  r.begin(2);
  r.start("train", "run", "running");
  for (let i = 1; i <= 100; i++) {
    now = i * 100; // 100 updates over 10 s
    r.progress("train", { done: i, total: 100, label: `batch ${i}` });
  }
  r.finish("train", true, "ran in 10s");
  const progress = lines.filter((l) => l.includes("progress"));
  assertEquals(progress.length, 1, lines.join("\n"));
  assertMatch(progress[0], /^ {2}train │ progress \[█?░+\] +1% batch 1 \(\[0\/2\] 0s elapsed/);
  assertEquals(lines.at(-1), "[1/2] ✓ train: ran in 10s");
});

Deno.test("progress file tail: complete lines only, the latest valid one per poll", async () => {
  const path = await Deno.makeTempFile();
  const seen: ProgressUpdate[] = [];
  const tail = new ProgressFileTail(path, (u) => seen.push(u), 60_000);
  try {
    Deno.writeTextFileSync(path, '{"done":1,"total":3}\n{"done":2,"total":3}\n{"done":3,', { append: true });
    tail.poll();
    assertEquals(seen, [{ done: 2, total: 3 }]);
    Deno.writeTextFileSync(path, '"total":3,"label":"end"}\nnoise\n', { append: true });
    tail.poll();
    assertEquals(seen.at(-1), { done: 3, total: 3, label: "end" });
  } finally {
    tail.stop();
    await Deno.remove(path);
  }
});

Deno.test("repro: a stage's progress reaches the display through PIPELINE_PROGRESS, and the file is removed", async () => {
  await using toy = await makeToy({
    stages: {
      slow: {
        cmd:
          `for i in 1 2 3; do echo "{\\"done\\":$i,\\"total\\":3,\\"label\\":\\"step $i\\"}" >> "$PIPELINE_PROGRESS"; ` +
          `sleep 0.3; done; echo ok > s.txt`,
        outs: ["s.txt"],
      },
      after: { cmd: "cat s.txt > t.txt", deps: ["s.txt"], outs: ["t.txt"] },
    },
  }, {});
  const r = await toy.cli("repro");
  assertEquals(r.code, 0, r.out);
  const progress = r.out.split("\n").filter((l) => l.startsWith("  slow │ progress "));
  assertEquals(progress.length, 1, r.out); // throttled: one line per 10 s of a stage
  assertMatch(progress[0], /progress \[[█░]+\] +\d+% step [1-3] \(\[0\/2\]/);
  assertMatch(r.out, /\[1\/2\] ✓ slow: ran in/);
  assertMatch(r.out, /\[2\/2\] ✓ after: ran in/);
  assert(![...Deno.readDirSync(`${toy.dir}/.pipeline/tmp`)].some((e) => e.name.startsWith("progress-")));
});

Deno.test("repro on a terminal: the live block shows [done/total], elapsed, ETA and the stage's bar", async () => {
  const hasScript = await new Deno.Command("script", { args: ["--version"], stdout: "null", stderr: "null" })
    .output().then((r) => r.success, () => false);
  if (!hasScript) {
    console.warn("SKIPPED: no `script` (util-linux) to give the runner a terminal");
    assert(!Deno.env.get("CI"), "`script` is missing in CI");
    return;
  }
  await using toy = await makeToy({
    stages: {
      slow: {
        cmd: `for i in 1 2 3 4; do echo "{\\"done\\":$i,\\"total\\":4,\\"label\\":\\"step $i\\"}" >> ` +
          `"$PIPELINE_PROGRESS"; sleep 0.4; done; echo ok > s.txt`,
        outs: ["s.txt"],
      },
    },
  }, {});
  const cli = new URL("../../pipeline/cli.ts", import.meta.url).pathname;
  const r = await new Deno.Command("script", {
    args: ["-qec", `'${Deno.execPath()}' run -A '${cli}' -C '${toy.dir}' repro`, "/dev/null"],
    env: { CI: "" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(r.stdout);
  assertEquals(r.code, 0, out);
  assertMatch(out, /\[0\/1\] \d+s elapsed, ETA (—|\d+s)/);
  assertMatch(out, /⏳ slow +\d+s {2}\[█+░*\] +\d+% step [1-4]/);
  assert(out.includes("[1/1] \x1b[32m✓\x1b[0m slow: ran in"), out);
});
