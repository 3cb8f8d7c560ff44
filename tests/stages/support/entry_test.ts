/**
 * stages/support/entry.ts: a stage's exported `main` returns its exit code (0, 1 for a failure, 0 for `--help`)
 * and leaves no tensor or variable behind, so the next stage in a persistent stage host starts clean.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../../lib/backends/select.ts";
import { stageEntry } from "../../../stages/support/entry.ts";
import { HelpShown } from "../../../stages/support/stage_command.ts";

await initBackend("cpu");

Deno.test("stageEntry: exit codes, and every tensor and variable of the stage disposed", async () => {
  const before = tf.memory().numTensors;
  let seen: string[] = [];
  const main = stageEntry(async (argv) => {
    seen = argv;
    const w = tf.variable(tf.ones([3, 3]));
    const x = tf.matMul(tf.ones([2, 3]), w);
    await x.data();
    if (argv[0] === "fail") throw new Error("failed on purpose");
    if (argv[0] === "help") throw new HelpShown("usage: stage [--x X]");
  });
  assert.equal(await main(["--x", "1"]), 0);
  assert.deepEqual(seen, ["--x", "1"], "the arguments reach the stage");
  assert.equal(tf.memory().numTensors, before, "no tensor left after a stage");
  assert.equal(await main(["fail"]), 1);
  assert.equal(await main(["help"]), 0);
  assert.equal(tf.memory().numTensors, before, "none after a failure either");
});
