/**
 * End to end on the real pipeline, shrunk with `--set`, in a fresh clone of HEAD: after a run is committed,
 * rerunning every stage (`repro --force`, in persistent stage hosts this time) leaves every tracked file
 * byte-identical (`git status` clean, the lock included), `tools/diff.ts` reports no change, and `verify` finds every output reproduced. Needs the
 * Fashion-MNIST IDX files of Debian's dataset-fashion-mnist (.ci/run installs it); skipped loudly without
 * them, failed in CI.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const DATA = "/usr/share/datasets/fashion-mnist";
const SMALL = [
  "data.limit_train=300",
  "data.limit_test=100",
  "grid.alpha=[0, 1]",
  "grid.seeds=[1]",
  "bidirectional.methods=[noise]",
  "train.epochs=1",
  "selectivity.limit=100",
  "grad.n_samples=10",
  "dim.n_samples=32",
  "corrupt.limit=20",
  "corrupt.severities=[1]",
  "attack.n_examples=20",
  "attack.pgd.steps=2",
  "attack.apgd.steps=2",
  "aggregate.resamples=200",
  "aggregate.permutations=200",
].flatMap((s) => ["--set", s]);

async function sh(cwd: string, cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command(cmd, {
    args,
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: {
      CI: "",
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@t",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@t",
    },
  }).output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
}

const hasData = (() => {
  try {
    return Deno.statSync(DATA).isDirectory;
  } catch {
    return false;
  }
})();

Deno.test({
  name:
    "shrunk real pipeline: an identical rerun leaves git status clean, diff silent, verify all reproduced",
  ignore: !hasData && !Deno.env.get("CI"),
  async fn() {
    assert.ok(hasData, `${DATA} is missing: apt-get install dataset-fashion-mnist`);
    const dir = await Deno.makeTempDir({ prefix: "rerun-identical-" });
    try {
      const head = (await sh(REPO, "git", ["rev-parse", "HEAD"])).out.trim();
      assert.equal((await sh(dir, "git", ["clone", "-q", REPO, "repo"])).code, 0);
      const repo = `${dir}/repo`;
      assert.equal((await sh(repo, "git", ["checkout", "-q", head])).code, 0);
      // node_modules is written by `deno install` only (deno.json: "nodeModulesDir": "manual"), as `./run` does.
      const install = await sh(repo, Deno.execPath(), ["install"]);
      assert.equal(install.code, 0, install.out);
      const cli = (...args: string[]) => sh(repo, Deno.execPath(), ["run", "-A", "pipeline/cli.ts", ...args]);

      const first = await cli("repro", ...SMALL);
      assert.equal(first.code, 0, first.out);
      assert.match(first.out, /── aggregate: outputs\/report\/verdicts\.txt ──\n[^\n]+\n\nclaim +verdict/);
      // New tracked-pattern outputs (e.g. runs the committed default did not have) are committed too.
      assert.equal((await sh(repo, "git", ["add", "-A"])).code, 0);
      assert.equal((await sh(repo, "git", ["commit", "-qm", "small run"])).code, 0);

      // The rerun in persistent stage hosts (pipeline/executors/persistent.ts): one process runs stage after
      // stage, and every result must still be the fresh processes' byte for byte.
      const again = await cli("repro", "--force", "--executor", "persistent", "--jobs", "2", ...SMALL);
      assert.equal(again.code, 0, again.out);
      assert.match(again.out, /21 ran, 0 restored/);
      assert.match(again.out, /in stage host \d+, its request [2-9]/, "hosts ran several stages each");
      assert.equal(
        (await sh(repo, "git", ["status", "--porcelain"])).out,
        "",
        "a rerun changed tracked files",
      );
      const diff = await sh(repo, Deno.execPath(), ["run", "-A", "tools/diff.ts", "HEAD"]);
      assert.equal(diff.code, 0, diff.out);
      for (
        const none of [
          "No params changed.",
          "No metrics changed.",
          "No verdict changed",
          "No output changed.",
        ]
      ) {
        assert.ok(diff.out.includes(none), `diff does not say '${none}':\n${diff.out}`);
      }

      const verified = await cli("verify", ...SMALL);
      assert.equal(verified.code, 0, verified.out);
      assert.match(verified.out, /All \d+ outputs of 21 stages reproduced\./);

      // The run facts went to the run records instead.
      const runs = JSON.parse((await cli("metrics", "show", "--runs", "train", "--json")).out);
      assert.equal(runs.length, 4); // two networks, two runs each
      assert.ok(runs.every((r: { facts: { images_per_sec: number } }) => r.facts.images_per_sec > 0));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
