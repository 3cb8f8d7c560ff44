import assert from "node:assert/strict";
import { digestBytes, hashFileStreaming } from "../../pipeline/file_digest.ts";
import { HashPool } from "../../pipeline/hash_pool.ts";
import { NativeHasher } from "../../pipeline/native_hash.ts";

/** Files of distinct content, some with spaces in their names; returns their absolute paths. */
async function files(dir: string, n: number, size: number): Promise<string[]> {
  const paths: string[] = [];
  for (let i = 0; i < n; i++) {
    const bytes = new Uint8Array(size).map((_, j) => (j * 7 + i * 13) & 255);
    const path = `${dir}/${i % 2 ? "with space " : ""}f${i}.bin`;
    await Deno.writeFile(path, bytes);
    paths.push(path);
  }
  return paths;
}

Deno.test("native hashing: many files asked at once, batched into processes, each gets its own WebAssembly digest", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const native = await NativeHasher.detect(2);
    assert.ok(native, "xxhsum (Debian's xxhash) is installed for the tests");
    const paths = await files(dir, 40, 70_000);
    const got = await Promise.all(paths.map((p) => native.hash(p)));
    const want = await Promise.all(paths.map((p) => hashFileStreaming(p)));
    assert.deepEqual(got, want);
    assert.equal(new Set(got).size, paths.length);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("native hashing: a missing file is an error naming it; the pool then raises the precise NotFound", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const native = (await NativeHasher.detect(1))!;
    const [present] = await files(dir, 1, 10);
    const [ok, missing] = await Promise.allSettled([native.hash(present), native.hash(`${dir}/absent.bin`)]);
    assert.equal(ok.status, "fulfilled");
    assert.equal(missing.status, "rejected");
    assert.match(String((missing as PromiseRejectedResult).reason), /could not hash .*absent\.bin/);
    const pool = new HashPool(2);
    try {
      await assert.rejects(pool.hash(`${dir}/absent.bin`, 5 << 20), Deno.errors.NotFound);
    } finally {
      pool.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("native hashing is refused when the command's digest differs from ours, or when turned off", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const fake = `${dir}/fake-xxhsum`;
    await Deno.writeTextFile(
      fake,
      `#!/bin/sh\nshift 2\nfor f; do echo "00000000000000000000000000000000  $f"; done\n`,
    );
    await Deno.chmod(fake, 0o755);
    assert.equal(await NativeHasher.detect(1, fake), undefined);
    assert.equal(await NativeHasher.detect(1, `${dir}/no-such-command`), undefined);
    Deno.env.set("PIPELINE_NATIVE_HASH", "0");
    try {
      assert.equal(await NativeHasher.detect(1), undefined);
    } finally {
      Deno.env.delete("PIPELINE_NATIVE_HASH");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("native hashing leaves paths its output cannot carry to the WebAssembly road, with the same digest", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.equal(NativeHasher.accepts(`${dir}/a\\b.bin`), false);
    assert.equal(NativeHasher.accepts(`${dir}/a\nb.bin`), false);
    assert.equal(NativeHasher.accepts(`${dir}/a b.bin`), true);
    const path = `${dir}/odd\\name.bin`;
    const bytes = new Uint8Array(2 << 20).map((_, i) => i & 255);
    await Deno.writeFile(path, bytes);
    const pool = new HashPool(2);
    try {
      assert.equal(await pool.hash(path, bytes.length), await digestBytes(bytes));
    } finally {
      pool.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
