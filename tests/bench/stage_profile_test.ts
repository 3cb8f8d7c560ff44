/**
 * bench/gpu/stage_profile.ts: runs a stage's exported `main` under `tf.profile` and tables the kernels it ran,
 * exiting with the stage's own code; a module without `main` is refused.
 */
import assert from "node:assert/strict";

async function profile(...args: string[]): Promise<{ code: number; out: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "bench/gpu/stage_profile.ts", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code, out: new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr) };
}

Deno.test("stage_profile: counts the stage's kernels by name and shapes, and keeps its exit code", async () => {
  const ok = await profile("tests/bench/fixtures/profiled_stage.ts", "--n", "6", "--top", "5");
  assert.equal(ok.code, 0, ok.out);
  assert.match(ok.out, /exit 0, wall [\d.]+ s, \d+ kernels through tfjs/);
  assert.match(ok.out, /\| BatchMatMul \| 2 \| [\d.]+ \| [\d.]+ % \|/);
  assert.match(ok.out, /\| BatchMatMul \[6,6\] \[6,6\] \| 2 \|/);
  assert.match(ok.out, /\| Sum \[6,6\] \| 1 \|/);
  const failed = await profile("tests/bench/fixtures/profiled_stage.ts", "--fail");
  assert.equal(failed.code, 1, failed.out);
  assert.match(failed.out, /failing as asked/);
});

Deno.test("stage_profile: a module without main(argv) is refused with the reason", async () => {
  const r = await profile("bench/schedule_replay.ts");
  assert.equal(r.code, 2);
  assert.match(r.out, /exports no main\(argv\)/);
});
