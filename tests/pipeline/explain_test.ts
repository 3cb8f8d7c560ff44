import assert from "node:assert/strict";
import { explain } from "../../pipeline/fingerprint.ts";

/** A fingerprint whose directory dep `d` lists `n` files, and a lock entry where all of them differ. */
function changedFiles(n: number) {
  const files = (v: string) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`f${i}`, v]));
  const fp = {
    cmd: ["x"],
    wdir: "",
    deps: { d: { digest: "new", size: 1, files: files("b") } },
    params: {},
    outs: [],
  };
  const entry = {
    key: "k",
    cmd: ["x"],
    deps: { d: { digest: "old", size: 1, files: files("a") } },
    params: {},
    outs: {},
  };
  return explain(fp, entry);
}

Deno.test("explain lists up to five changed files of a dep, and marks a longer list with …", () => {
  assert.deepEqual(changedFiles(5), ["dep 'd' modified (~f0, ~f1, ~f2, ~f3, ~f4)"]);
  assert.deepEqual(changedFiles(6), ["dep 'd' modified (~f0, ~f1, ~f2, ~f3, ~f4, …)"]);
});
