/**
 * LockRecorder (pipeline/lock_recorder.ts): stages recorded together share one rewrite of the lock; a stage
 * recorded while a rewrite is under way waits for the next, which holds it; a failed rewrite rejects the stages
 * it held and the next one still runs.
 */
import { deepStrictEqual as assertEquals, ok as assert, rejects } from "node:assert/strict";
import { LockRecorder } from "../../pipeline/lock_recorder.ts";
import type { Lock, LockEntry } from "../../pipeline/lock.ts";

const entry = (key: string) => ({ key }) as unknown as LockEntry;

/** A recorder whose rewrites wait for the test: each snapshot (stage names) and a function that ends it. */
function recorder() {
  const rewrites: { names: string[]; end: (error?: Error) => void }[] = [];
  const r = new LockRecorder({} as Lock, (lock) =>
    new Promise<void>((resolve, reject) => {
      rewrites.push({ names: Object.keys(lock).sort(), end: (e) => (e ? reject(e) : resolve()) });
    }));
  return { r, rewrites };
}

const turn = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("LockRecorder: stages recorded together share one rewrite; one recorded during it, the next", async () => {
  const { r, rewrites } = recorder();
  const done: string[] = [];
  const record = (name: string) => r.record(name, entry(name)).then(() => done.push(name));
  const first = [record("a"), record("b"), record("c")];
  await turn();
  assertEquals(rewrites.map((w) => w.names), [["a", "b", "c"]], "one rewrite for the three");
  const late = record("d");
  await turn();
  assertEquals(rewrites.length, 1, "d waits for the rewrite under way to end");
  rewrites[0].end();
  await Promise.all(first);
  assertEquals(done, ["a", "b", "c"]);
  await turn();
  assertEquals(rewrites[1].names, ["a", "b", "c", "d"], "the next rewrite holds d");
  rewrites[1].end();
  await late;
  await r.settled();
  assertEquals(rewrites.length, 2);
});

Deno.test("LockRecorder: a failed rewrite rejects the stages it held; the next rewrite still runs", async () => {
  const { r, rewrites } = recorder();
  const a = r.record("a", entry("a"));
  await turn();
  const b = r.record("b", entry("b"));
  rewrites[0].end(new Error("disk full"));
  await rejects(a, /disk full/);
  await turn();
  assertEquals(rewrites[1].names, ["a", "b"]);
  rewrites[1].end();
  await b;
  await r.settled();
  assert(rewrites.length === 2);
});
