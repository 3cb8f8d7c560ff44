import assert from "node:assert/strict";
import { manifestDigest, sha256Hex } from "../../../lib/data/digest.ts";

Deno.test("sha256Hex matches the FIPS 180-2 test vectors", async () => {
  assert.equal(await sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert.equal(
    await sha256Hex(new Uint8Array(0)),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
});

Deno.test("manifestDigest hashes a sorted sha256sum-style manifest", async () => {
  const files = new Map([["b.bin", "2".repeat(64)], ["a.bin", "1".repeat(64)]]);
  const manual = await sha256Hex(`${"1".repeat(64)}  a.bin\n${"2".repeat(64)}  b.bin\n`);
  assert.equal(await manifestDigest(files), manual);
  assert.equal(await manifestDigest(new Map([...files].reverse())), manual);
});
