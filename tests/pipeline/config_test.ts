import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  rejects as assertRejects,
} from "node:assert/strict";
import { loadConfig, pickRemote, sharingSettings } from "../../pipeline/config.ts";

const settings = async (root: string, env?: string) =>
  sharingSettings(root, await loadConfig(root), () => env);

async function project(files: Record<string, string>): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "pipeline-config-" });
  for (const [name, text] of Object.entries(files)) {
    Deno.mkdirSync(`${path}/${name}`.replace(/\/[^/]*$/, ""), { recursive: true });
    Deno.writeTextFileSync(`${path}/${name}`, text);
  }
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

Deno.test("config: the cache directory comes from the env var, else cache.dir (from the root), else .pipeline", async () => {
  await using p = await project({ "pipeline.config.yaml": "cache:\n  dir: ../shared\n  shared: group\n" });
  const fromFile = await settings(p.path);
  assertEquals(fromFile.cacheDir, `${p.path.replace(/\/[^/]+$/, "")}/shared`);
  assertEquals(fromFile.groupShared, true);
  assertEquals((await settings(p.path, "/srv/cache")).cacheDir, "/srv/cache");
  await using bare = await project({});
  assertEquals((await settings(bare.path)).cacheDir, `${bare.path}/.pipeline/cache`);
});

Deno.test("config: the local file adds credentials to a tracked remote; one remote alone is the default", async () => {
  await using p = await project({
    "pipeline.config.yaml": "remotes:\n  lab:\n    url: s3://b/p\n    endpoint: http://127.0.0.1:9000\n",
    ".pipeline/config.local.yaml": "remotes:\n  lab: {access_key_id: AK, secret_access_key: SK}\n",
  });
  const config = await settings(p.path);
  const lab = pickRemote(config, undefined);
  assertEquals([lab.name, lab.url, lab.access_key_id, lab.secret_access_key], [
    "lab",
    "s3://b/p",
    "AK",
    "SK",
  ]);
  assertEquals(pickRemote(config, "/mnt/x").url, "/mnt/x");
});

Deno.test("config: two defaults, a bad value and a remote without url are errors that say where", async () => {
  await using two = await project({
    "pipeline.config.yaml": "remotes:\n  a: {url: /x, default: true}\n  b: {url: /y, default: true}\n",
  });
  await assertRejects(
    settings(two.path),
    /remotes a, b are all marked 'default: true'; keep one/,
  );
  await using bad = await project({ "pipeline.config.yaml": "cache:\n  shared: world\n" });
  await assertRejects(settings(bad.path), (e: Error) => {
    assertMatch(e.message, /^pipeline\.config\.yaml:2:3: 'cache\.shared': .*; fix pipeline\.config\.yaml/);
    return true;
  });
  await using nourl = await project({ ".pipeline/config.local.yaml": "remotes:\n  lab: {password: x}\n" });
  await assertRejects(settings(nourl.path), /remote 'lab' has no 'url'/);
  await using none = await project({});
  await assertRejects(
    (async () => pickRemote(await settings(none.path), undefined))(),
    /no remote given and no default/,
  );
});
