import { deepStrictEqual as assertEquals, match as assertMatch } from "node:assert/strict";
import { cli, cloneToy, filesUnder, runs, service, treeDiff, writeToy } from "./remote_fixture.ts";

const env = service("sshd");

function config(url: string) {
  return { remotes: { lab: { url, default: true } } };
}

Deno.test({
  name: "SSH: push, then pull in a fresh clone: outputs byte-equal, every stage up to date",
  ignore: !env,
  fn: async () => {
    await using tmp = await tempDir();
    const url = `${env!.PIPELINE_TEST_SSH_URL}${tmp.path}/remote`;
    writeToy(`${tmp.path}/a`, { seed: 1, n: 30, kb: 32 }, config(url));
    assertEquals((await cli(`${tmp.path}/a`, ["repro"])).code, 0);
    const pushed = await cli(`${tmp.path}/a`, ["push", "--run-cache", "--jobs", "4"], env);
    assertEquals(pushed.code, 0, pushed.out);
    assertMatch(pushed.out, /pushed 32 objects/);
    assertEquals(filesUnder(`${tmp.path}/remote`).filter((f) => f.endsWith(".tmp")), []);
    cloneToy(`${tmp.path}/a`, `${tmp.path}/b`);
    const pulled = await cli(`${tmp.path}/b`, ["pull", "--jobs", "4"], env);
    assertEquals(pulled.code, 0, pulled.out);
    assertMatch((await cli(`${tmp.path}/b`, ["status"])).out, /Everything is up to date/);
    assertEquals(treeDiff(`${tmp.path}/a/data`, `${tmp.path}/b/data`), []);
    writeToy(`${tmp.path}/c`, { seed: 1, n: 30, kb: 32 }, config(url));
    assertMatch((await cli(`${tmp.path}/c`, ["repro", "--pull"], env)).out, /0 ran, 2 restored/);
    assertEquals(runs(`${tmp.path}/c`), {});
  },
});

Deno.test({
  name: "SSH: a refused key, an unknown host key and a closed port are clear errors and change nothing",
  ignore: !env,
  fn: async () => {
    await using tmp = await tempDir();
    const url = `${env!.PIPELINE_TEST_SSH_URL}${tmp.path}/remote`;
    writeToy(`${tmp.path}/a`, { seed: 2, n: 2, kb: 1 }, config(url));
    await cli(`${tmp.path}/a`, ["repro"]);
    const before = filesUnder(`${tmp.path}/a`);
    const otherKey = `${tmp.path}/other_key`;
    const keygen = await new Deno.Command("ssh-keygen", {
      args: ["-q", "-t", "ed25519", "-N", "", "-f", otherKey],
    })
      .output();
    assertEquals(keygen.code, 0);
    const refused = await cli(`${tmp.path}/a`, ["push"], { ...env, PIPELINE_SSH_KEY_FILE: otherKey });
    assertEquals(refused.code, 2);
    assertMatch(refused.out, /user '\w+' was refused .* set key_file for this remote/);
    Deno.writeTextFileSync(`${tmp.path}/empty_known_hosts`, "");
    const unknownHost = await cli(`${tmp.path}/a`, ["push"], {
      ...env,
      PIPELINE_SSH_KNOWN_HOSTS: `${tmp.path}/empty_known_hosts`,
    });
    assertEquals(unknownHost.code, 2);
    assertMatch(unknownHost.out, /host key of 127\.0\.0\.1:\d+ \(SHA256:\S+\) is not in known_hosts/);
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const closed = (l.addr as Deno.NetAddr).port;
    l.close();
    writeToy(
      `${tmp.path}/a`,
      { seed: 2, n: 2, kb: 1 },
      config(`ssh://root@127.0.0.1:${closed}${tmp.path}/r`),
    );
    const down = await cli(`${tmp.path}/a`, ["push"], env);
    assertEquals(down.code, 2);
    assertMatch(down.out, new RegExp(`cannot connect to 127\\.0\\.0\\.1:${closed}: ECONNREFUSED`));
    assertEquals(filesUnder(`${tmp.path}/a`), before);
    assertEquals(filesUnder(`${tmp.path}/remote`), []);
  },
});

async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "pipeline-remote-ssh-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}
