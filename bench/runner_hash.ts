/**
 * Hashing throughput of the runner (XXH3-128) against `sha256sum` and `b3sum` on the same 1 GiB of files.
 *
 *   deno run -A bench/runner_hash.ts [--files 64] [--mib 16]
 *
 * Writes the files to a temp directory, warms the page cache, then times each tool three times on the whole set
 * and prints the median throughput and each tool's ratio to the runner (its default road: native `xxhsum` for
 * large files when installed; the WebAssembly-only road is measured too). The runner is measured cold (an empty
 * state cache), i.e. really reading and hashing every byte.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { Hasher } from "../pipeline/hash.ts";
import { StateCache } from "../pipeline/state.ts";

const args = parseArgs({ args: Deno.args, options: { files: { type: "string" }, mib: { type: "string" } } });
const nFiles = Number(args.values.files ?? 64);
const mib = Number(args.values.mib ?? 16);
const dir = await Deno.makeTempDir({ prefix: "hash-bench-" });
const block = new Uint8Array(mib << 20);
for (let i = 0; i < nFiles; i++) {
  crypto.getRandomValues(block.subarray(0, 65536));
  for (let o = 65536; o < block.length; o += 65536) block.copyWithin(o, 0, 65536);
  block[i % block.length] ^= i; // distinct files
  Deno.writeFileSync(`${dir}/f${String(i).padStart(3, "0")}.bin`, block);
}
const files = [...Deno.readDirSync(dir)].map((e) => `${dir}/${e.name}`).sort();
const gib = (nFiles * mib) / 1024;

async function time(fn: () => Promise<void>): Promise<number> {
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    await fn();
    runs.push((performance.now() - t) / 1000);
  }
  return runs.sort((a, b) => a - b)[1];
}
async function tool(cmd: string, extra: string[] = []) {
  const r = await new Deno.Command(cmd, { args: [...extra, ...files], stdout: "null" }).output();
  if (!r.success) throw new Error(`${cmd} failed`);
}

await tool("cat"); // warm the page cache
const results: [string, number][] = [];
const runnerHash = () =>
  time(async () => {
    const hasher = new Hasher(dir, await StateCache.open(`${dir}/none/state.json`));
    await hasher.node("");
    hasher.close();
  });
results.push(["runner (XXH3-128; large files by native xxhsum, a process per core)", await runnerHash()]);
Deno.env.set("PIPELINE_NATIVE_HASH", "0");
results.push(["runner, WebAssembly only (a worker per core + main thread)", await runnerHash()]);
Deno.env.delete("PIPELINE_NATIVE_HASH");
results.push(["sha256sum", await time(() => tool("sha256sum"))]);
results.push(["b3sum (all threads)", await time(() => tool("b3sum"))]);
results.push(["b3sum --num-threads 1", await time(() => tool("b3sum", ["--num-threads", "1"]))]);
const runner = results[0][1];
console.log(
  `${nFiles} files x ${mib} MiB = ${gib.toFixed(2)} GiB, ${navigator.hardwareConcurrency} cores, median of 3`,
);
console.log("| tool | seconds | GiB/s | runner speed ÷ tool speed |\n|---|---:|---:|---:|");
for (const [name, secs] of results) {
  console.log(
    `| ${name} | ${secs.toFixed(2)} | ${(gib / secs).toFixed(2)} | ${(secs / runner).toFixed(2)} |`,
  );
}
await Deno.remove(dir, { recursive: true });
