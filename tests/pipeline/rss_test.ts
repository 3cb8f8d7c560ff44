import { ok as assert } from "node:assert/strict";
import { RssSampler, sessionRssKb } from "../../pipeline/rss.ts";

Deno.test("peak RSS: the summed resident memory of a process group, sampled from /proc", async () => {
  let proc = true;
  try {
    Deno.statSync("/proc/self/stat");
  } catch {
    proc = false;
  }
  if (!proc) {
    console.warn("SKIPPED: no /proc here");
    return;
  }
  // A session whose leader allocates ~64 MiB and holds it: the peak must see at least that much.
  const child = new Deno.Command("setsid", {
    args: [
      Deno.execPath(),
      "eval",
      "const b = new Uint8Array(64 << 20).fill(1); await new Promise((r) => setTimeout(r, 1500)); b[0]++;",
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const sampler = new RssSampler(child.pid, 100);
  await child.status;
  const peak = sampler.stop();
  assert(peak !== undefined && peak >= 64 * 1024, `peak ${peak} KiB`);
  assert(sessionRssKb(child.pid) === 0, "an ended session still counted");
});
