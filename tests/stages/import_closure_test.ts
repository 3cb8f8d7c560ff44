/**
 * Every module a stage's script imports (its import closure, from `deno info --json`) must be covered by the
 * stage's declared deps in pipeline.yaml: a dep missed by hand is a result that silently goes stale when that
 * module changes.
 */
import assert from "node:assert/strict";
import { relative } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { globToRegExp, isGlob } from "../../pipeline/glob.ts";
import { isWithin } from "../../pipeline/graph.ts";
import { loadParams } from "../../pipeline/params.ts";
import { loadPipeline } from "../../pipeline/spec.ts";

const ROOT = fromFileUrl(new URL("../../", import.meta.url)).replace(/\/$/, "");

/** Root-relative paths of the local modules `script` imports, itself included. */
async function importClosure(script: string): Promise<string[]> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", script],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(r.code, 0, `deno info ${script}: ${new TextDecoder().decode(r.stderr)}`);
  const info = JSON.parse(new TextDecoder().decode(r.stdout)) as { modules: { specifier: string }[] };
  return info.modules
    .map((m) => m.specifier)
    .filter((s) => s.startsWith("file://"))
    .map((s) => relative(ROOT, fromFileUrl(s)))
    // npm packages (files under node_modules with `"nodeModulesDir": "manual"`) are pinned by deno.lock.
    .filter((p) => !p.startsWith("..") && !p.startsWith("node_modules/"))
    .sort();
}

/** Whether `file` is covered by `dep` (the file itself, a directory above it, or a glob matching it). */
export function covers(dep: string, file: string): boolean {
  if (dep === "") return false; // the whole project: would hide any gap
  return isGlob(dep) ? globToRegExp(dep).test(file) : isWithin(file, dep);
}

Deno.test("covers: files, directories and globs", () => {
  assert.equal(covers("lib/data", "lib/data/split.ts"), true);
  assert.equal(covers("lib/data/split.ts", "lib/data/split.ts"), true);
  assert.equal(covers("lib/dat", "lib/data/split.ts"), false);
  assert.equal(covers("lib/backends/*.ts", "lib/backends/select.ts"), true);
  assert.equal(covers("lib/backends/*.ts", "lib/backends/gen/x.ts"), false);
  assert.equal(covers("", "lib/data/split.ts"), false);
});

Deno.test("every stage's import closure is covered by its declared deps in pipeline.yaml", async () => {
  const spec = await loadPipeline(ROOT, await loadParams(ROOT, {}));
  const scripts = new Map<string, string[]>(); // closure per script, computed once per group
  const missing: string[] = [];
  let checked = 0;
  for (const stage of spec.stages) {
    const script = stage.cmd.join(" ").match(/\bdeno run\b.*?\s(\S+\.ts)\b/)?.[1];
    assert.ok(script, `${stage.name}: cannot find the script in '${stage.cmd.join(" && ")}'`);
    if (!scripts.has(script)) scripts.set(script, await importClosure(script));
    const uncovered = scripts.get(script)!.filter((f) => !stage.deps.some((d) => covers(d, f)));
    if (uncovered.length) missing.push(`${stage.name} (${stage.where}): ${uncovered.join(", ")}`);
    checked++;
  }
  assert.ok(checked >= 8, `only ${checked} stages checked`);
  assert.deepEqual(missing, [], `imports not covered by deps:\n${missing.join("\n")}`);
});
