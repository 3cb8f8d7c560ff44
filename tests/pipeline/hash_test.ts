import { deepStrictEqual as assertEquals, notStrictEqual } from "node:assert/strict";
import { dirManifest, type DirNode, Hasher } from "../../pipeline/hash.ts";
import { StateCache } from "../../pipeline/state.ts";

/** XXH3-128 by Debian's xxhsum, an implementation independent of ours. */
async function xxhsum(path: string): Promise<string> {
  const r = await new Deno.Command("xxhsum", { args: ["-H2", path], stdout: "piped" }).output();
  return new TextDecoder().decode(r.stdout).split(" ")[0];
}

for (const road of ["native xxhsum", "WebAssembly workers"]) {
  Deno.test(`file digests equal xxhsum -H2 (XXH3-128), small files inline and large ones by ${road}`, async () => {
    const dir = await Deno.makeTempDir();
    Deno.writeTextFileSync(`${dir}/small.txt`, "hello\n");
    const big = new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => (i * 31) & 255);
    Deno.writeFileSync(`${dir}/big.bin`, big);
    if (road !== "native xxhsum") Deno.env.set("PIPELINE_NATIVE_HASH", "0");
    const hasher = new Hasher(dir, await StateCache.open(`${dir}/.pipeline/state.json`));
    try {
      assertEquals((await hasher.node("small.txt"))?.digest, await xxhsum(`${dir}/small.txt`));
      assertEquals((await hasher.node("big.bin"))?.digest, await xxhsum(`${dir}/big.bin`));
      assertEquals(await hasher.node("absent"), undefined);
    } finally {
      Deno.env.delete("PIPELINE_NATIVE_HASH");
      hasher.close();
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("a directory digest is the Merkle hash of its manifest, computed independently here", async () => {
  const dir = await Deno.makeTempDir();
  Deno.mkdirSync(`${dir}/d/sub`, { recursive: true });
  Deno.writeTextFileSync(`${dir}/d/b.txt`, "b");
  Deno.writeTextFileSync(`${dir}/d/sub/a.txt`, "a");
  const hasher = new Hasher(dir, await StateCache.open(`${dir}/.pipeline/state.json`));
  try {
    const node = await hasher.node("d") as DirNode;
    const sha = async (s: string) => {
      const path = `${dir}/.probe`;
      Deno.writeTextFileSync(path, s);
      return await xxhsum(path);
    };
    const sub = await sha(`{"entries":[["a.txt","file","${await sha("a")}",1]]}`);
    const top = await sha(`{"entries":[["b.txt","file","${await sha("b")}",1],["sub","dir","${sub}",1]]}`);
    assertEquals(node.digest, top);
    assertEquals([node.size, node.nfiles], [2, 2]);
    assertEquals(await sha(dirManifest(node.entries)), node.digest);
    Deno.writeTextFileSync(`${dir}/d/sub/a.txt`, "A");
    const changed = await hasher.node("d") as DirNode;
    notStrictEqual(changed.digest, node.digest);
    assertEquals(changed.entries.get("b.txt")?.digest, node.entries.get("b.txt")?.digest);
  } finally {
    hasher.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the state cache skips unchanged files and notices same-size edits", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/f.txt`;
  Deno.writeTextFileSync(path, "one");
  const old = new Date(Date.now() - 60_000);
  Deno.utimeSync(path, old, old);
  const state = await StateCache.open(`${dir}/state.json`);
  const hasher = new Hasher(dir, state);
  try {
    const first = (await hasher.node("f.txt"))!.digest;
    assertEquals(state.get("f.txt", Deno.statSync(path)), first, "recorded");
    Deno.writeTextFileSync(path, "two");
    assertEquals(state.get("f.txt", Deno.statSync(path)), undefined, "a changed stat token misses");
    notStrictEqual((await hasher.node("f.txt"))!.digest, first);
    const fresh = `${dir}/fresh.txt`;
    Deno.writeTextFileSync(fresh, "x");
    await hasher.node("fresh.txt");
    assertEquals(
      state.get("fresh.txt", Deno.statSync(fresh)),
      undefined,
      "a just-written file is racy: re-hashed",
    );
    Deno.utimeSync(path, old, old);
    const second = (await hasher.node("f.txt"))!.digest;
    await state.save();
    const reloaded = await StateCache.open(`${dir}/state.json`);
    assertEquals(reloaded.get("f.txt", Deno.statSync(path)), second, "entries survive a save and reload");
  } finally {
    hasher.close();
    await Deno.remove(dir, { recursive: true });
  }
});
