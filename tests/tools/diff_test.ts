import assert from "node:assert/strict";
import { join } from "node:path";
import {
  collectDiff,
  fileAtRevision,
  outputChanges,
  renderDiffReport,
  resolveBaseRev,
  verdictChanges,
  VERDICTS_FILE,
} from "../../tools/diff.ts";

const CLI = new URL("../../pipeline/cli.ts", import.meta.url).pathname;

async function run(cwd: string, cmd: string, args: string[]): Promise<string> {
  const r = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  assert.ok(r.success, `${cmd} ${args.join(" ")}: ${dec.decode(r.stderr)}`);
  return dec.decode(r.stdout);
}

const PIPELINE = `stages:
  agg:
    cmd: mkdir -p outputs/report && cp verdicts_src.json outputs/report/verdicts.json && cp m_src.json outputs/m.json
    deps: [verdicts_src.json, m_src.json]
    params: [agg]
    outs: [outputs/report]
    metrics: [outputs/m.json]
`;

const verdicts = (v5: string, est5: number) =>
  JSON.stringify([
    { id: "1", claim: "μ_SI increases with α", verdict: "reproduced", estimate: 0.9 },
    { id: "5", claim: "corruption robustness | falls", verdict: v5, estimate: est5 },
  ]);

/** A repository with two commits, each after a runner `repro`; outputs are git-ignored (cache only). */
async function twoCommits(root: string): Promise<void> {
  const git = (...a: string[]) => run(root, "git", a);
  const repro = () => run(root, Deno.execPath(), ["run", "-A", CLI, "-C", root, "repro"]);
  await git("init", "-q", "-b", "main");
  await git("config", "user.email", "t@example.com");
  await git("config", "user.name", "t");
  await Deno.writeTextFile(join(root, ".gitignore"), "outputs/\n.pipeline/\n");
  await Deno.writeTextFile(join(root, "pipeline.yaml"), PIPELINE);
  await Deno.writeTextFile(join(root, "params.yaml"), "agg:\n  level: 0.9\n  seed: 0\n");
  await Deno.writeTextFile(join(root, "verdicts_src.json"), verdicts("inconclusive at this scale", -0.2));
  await Deno.writeTextFile(
    join(root, "m_src.json"),
    JSON.stringify({ test: { acc: 0.8 }, wall_seconds: 10 }),
  );
  await repro();
  await git("add", "-A");
  await git("commit", "-q", "-m", "one");
  await Deno.writeTextFile(join(root, "params.yaml"), "agg:\n  level: 0.95\n  seed: 0\n");
  await Deno.writeTextFile(join(root, "verdicts_src.json"), verdicts("reproduced", -0.6));
  await Deno.writeTextFile(
    join(root, "m_src.json"),
    JSON.stringify({ test: { acc: 0.85 }, wall_seconds: 12 }),
  );
  await repro();
  await git("add", "-A");
  await git("commit", "-q", "-m", "two");
}

Deno.test({
  name:
    "diff: params, curated metrics, verdicts from the cache via the old lock, and changed outputs (slow: ~5 s)",
  sanitizeResources: false,
  fn: async () => {
    const root = await Deno.makeTempDir({ prefix: "diff-test-" });
    const ci = Deno.env.get("CI");
    try {
      await twoCommits(root);
      // verdicts.json is not tracked: HEAD~1's copy comes from the cache through HEAD~1's lock.
      const old = await fileAtRevision(root, "HEAD~1", VERDICTS_FILE);
      assert.ok(old?.includes('"inconclusive at this scale"'), old);
      assert.equal(await fileAtRevision(root, "HEAD~1", "outputs/report/missing.json"), undefined);

      const data = await collectDiff(root, "HEAD~1");
      assert.deepEqual(data.params, { "agg.level": { old: 0.9, new: 0.95 } });
      assert.deepEqual(data.metrics.map((m) => m.key), ["test.acc", "wall_seconds"]);
      assert.deepEqual(data.outputs.map((o) => o.path), ["outputs/m.json", "outputs/report"]);
      const md = renderDiffReport(data).split("\n");
      assert.equal(md[0], "## Pipeline changes since `HEAD~1`");
      assert.ok(md.includes("| agg.level | 0.9 | 0.95 |"), md.join("\n"));
      assert.ok(md.includes("| outputs/m.json | test.acc | 0.8 | 0.85 | 0.05 |"), md.join("\n"));
      assert.ok(
        md.some((l) => l.startsWith("1 other metrics changed")),
        "wall_seconds is counted, not shown",
      );
      assert.ok(
        md.includes(
          "| 5: corruption robustness \\| falls | inconclusive at this scale | reproduced | -0.2 → -0.6 |",
        ),
        md.join("\n"),
      );
      assert.ok(!md.some((l) => l.startsWith("| 1: ")), "unchanged verdicts are not listed");
      assert.ok(md.some((l) => /^\| agg \| outputs\/report \| [0-9a-f]{12} \| [0-9a-f]{12} \|$/.test(l)));

      // Against HEAD nothing changed.
      const same = renderDiffReport(await collectDiff(root, "HEAD"));
      for (
        const s of ["No params changed.", "No metrics changed.", "No verdict changed.", "No output changed."]
      ) {
        assert.ok(same.includes(s), same);
      }
      // Default revision: the merge base with main, which on main itself is HEAD; in CI that becomes HEAD~1.
      const mainHead = (await run(root, "git", ["rev-parse", "HEAD"])).trim();
      Deno.env.delete("CI");
      assert.equal(await resolveBaseRev(root), mainHead);
      Deno.env.set("CI", "true");
      assert.equal(await resolveBaseRev(root), "HEAD~1");
      // On a feature branch, locally and in CI alike, the default is where the branch left main.
      await run(root, "git", ["checkout", "-q", "-b", "feature"]);
      await Deno.writeTextFile(join(root, "notes.txt"), "feature work\n");
      await run(root, "git", ["add", "-A"]);
      await run(root, "git", ["commit", "-q", "-m", "three"]);
      assert.equal(await resolveBaseRev(root), mainHead);
      Deno.env.delete("CI");
      assert.equal(await resolveBaseRev(root), mainHead);
      await assert.rejects(() => resolveBaseRev(root, "nope"), /'nope' is not a git revision/);
    } finally {
      if (ci === undefined) Deno.env.delete("CI");
      else Deno.env.set("CI", ci);
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test("diff: output and verdict changes include additions and removals", () => {
  const lock = (outs: Record<string, string>) => ({
    s: {
      key: "k",
      cmd: [],
      deps: {},
      params: {},
      outs: Object.fromEntries(Object.entries(outs).map(([p, d]) => [p, { digest: d, size: 1 }])),
    },
  });
  assert.deepEqual(outputChanges(lock({ a: "1", b: "2" }), lock({ b: "3", c: "4" })), [
    { stage: "s", path: "a", old: "1", new: undefined },
    { stage: "s", path: "b", old: "2", new: "3" },
    { stage: "s", path: "c", old: undefined, new: "4" },
  ]);
  const v = (id: string, verdict: string) => ({ id, claim: `c${id}`, verdict });
  assert.deepEqual(
    verdictChanges([v("1", "reproduced"), v("9", "unchecked")], [
      v("1", "reproduced"),
      v("6", "contradicted"),
    ])
      .map((c) => [c.id, c.old?.verdict, c.new?.verdict]),
    [["6", undefined, "contradicted"], ["9", "unchecked", undefined]],
  );
});
