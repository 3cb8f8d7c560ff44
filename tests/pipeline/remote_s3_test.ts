import { deepStrictEqual as assertEquals, match as assertMatch, ok as assert } from "node:assert/strict";
import {
  cli,
  cloneToy,
  filesUnder,
  REPO,
  runs,
  service,
  spawn,
  treeDiff,
  writeToy,
} from "./remote_fixture.ts";

const env = service("s3");

function config(endpoint: string, prefix: string) {
  return {
    remotes: { lab: { url: `s3://${env!.PIPELINE_TEST_S3_BUCKET}/${prefix}`, endpoint, default: true } },
  };
}

Deno.test({
  name: "S3: push, then pull in a fresh clone (over 1,000 objects: paged listing): byte-equal, up to date",
  ignore: !env,
  fn: async () => {
    await using tmp = await tempDir();
    const prefix = `t${crypto.randomUUID().slice(0, 8)}`;
    writeToy(`${tmp.path}/a`, { seed: 1, n: 1100, kb: 1 }, config(env!.PIPELINE_TEST_S3_ENDPOINT, prefix));
    assertEquals((await cli(`${tmp.path}/a`, ["repro"])).code, 0);
    const pushed = await cli(`${tmp.path}/a`, ["push", "--run-cache", "--jobs", "4"], env);
    assertEquals(pushed.code, 0, pushed.out);
    assertMatch(pushed.out, /pushed 1102 objects/);
    assertMatch((await cli(`${tmp.path}/a`, ["push"], env)).out, /pushed 0 objects .*; 1102 already there/);
    cloneToy(`${tmp.path}/a`, `${tmp.path}/b`);
    const pulled = await cli(`${tmp.path}/b`, ["pull"], env);
    assertEquals(pulled.code, 0, pulled.out);
    assertMatch((await cli(`${tmp.path}/b`, ["status"])).out, /Everything is up to date/);
    assertEquals(treeDiff(`${tmp.path}/a/data`, `${tmp.path}/b/data`), []);
    writeToy(`${tmp.path}/c`, { seed: 1, n: 1100, kb: 1 }, config(env!.PIPELINE_TEST_S3_ENDPOINT, prefix));
    assertMatch((await cli(`${tmp.path}/c`, ["repro", "--pull"], env)).out, /0 ran, 2 restored/);
    assertEquals(runs(`${tmp.path}/c`), {});
  },
});

Deno.test({
  name: "S3: wrong credentials and an unreachable endpoint are clear errors and change nothing locally",
  ignore: !env,
  fn: async () => {
    await using tmp = await tempDir();
    writeToy(`${tmp.path}/a`, { seed: 2, n: 2, kb: 1 }, config(env!.PIPELINE_TEST_S3_ENDPOINT, "creds"));
    await cli(`${tmp.path}/a`, ["repro"]);
    const cacheBefore = filesUnder(`${tmp.path}/a/.pipeline/cache`);
    const wrong = await cli(`${tmp.path}/a`, ["push"], {
      ...env,
      AWS_ACCESS_KEY_ID: "NOT-A-KEY",
      AWS_SECRET_ACCESS_KEY: "nope",
    });
    assertEquals(wrong.code, 2);
    assertMatch(wrong.out, /InvalidAccessKeyId: the credentials were refused .* AWS_ACCESS_KEY_ID/);
    Deno.writeTextFileSync(
      `${tmp.path}/a/.pipeline/config.local.yaml`,
      "remotes:\n  lab: {access_key_id: WRONG, secret_access_key: WRONG}\n",
    );
    const local = await cli(`${tmp.path}/a`, ["push"], env);
    assertEquals(local.code, 2);
    assertMatch(local.out, /credentials were refused/);
    Deno.removeSync(`${tmp.path}/a/.pipeline/config.local.yaml`);
    const closed = await freePort();
    writeToy(`${tmp.path}/a`, { seed: 2, n: 2, kb: 1 }, config(`http://127.0.0.1:${closed}`, "x"));
    const refused = await cli(`${tmp.path}/a`, ["push"], env);
    assertEquals(refused.code, 2);
    assertMatch(refused.out, /ECONNREFUSED: the endpoint cannot be reached; check 'endpoint'/);
    assertEquals(filesUnder(`${tmp.path}/a/.pipeline/cache`), cacheBefore);
  },
});

/**
 * "The server dies" is played by a TCP relay in front of s3rver that drops every connection and stops
 * listening: to the client exactly a server gone mid-transfer. (Killing s3rver itself can tear its own store:
 * it writes an object's metadata file in place, and an empty one makes every later listing fail with
 * InternalError, which no client can mend; real S3 stores a PUT atomically.)
 */
Deno.test({
  name: "S3: the server dies mid-push; when it is back the push resumes and a pull verifies every object",
  ignore: !env,
  fn: async () => {
    await using tmp = await tempDir();
    const server = startServer(`${tmp.path}/s3data`, 0);
    try {
      const serverPort = Number((await server.out).match(/^port (\d+)/)![1]);
      const port = await freePort();
      let relay = startRelay(port, serverPort);
      writeToy(`${tmp.path}/a`, { seed: 3, n: 300, kb: 64 }, config(`http://127.0.0.1:${port}`, "die"));
      assertEquals((await cli(`${tmp.path}/a`, ["repro"])).code, 0);
      const push = spawn(`${tmp.path}/a`, ["push", "--jobs", "4"], env);
      for (let i = 0; i < 600 && countStored(`${tmp.path}/s3data`) < 30; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      await relay.kill();
      const first = await push.output();
      const out = new TextDecoder().decode(first.stderr);
      assertEquals(first.code, 2, out);
      assertMatch(
        out,
        /remote s3:\/\/pipeline\/die: cannot write objects\/.*(ECONNREFUSED|ECONNRESET|EPIPE|socket)/,
      );
      relay = startRelay(port, serverPort);
      try {
        const resumed = await cli(`${tmp.path}/a`, ["push", "--jobs", "4"], env);
        assertEquals(resumed.code, 0, resumed.out);
        const m = resumed.out.match(/pushed (\d+) objects .*; (\d+) already there/)!;
        assertEquals(Number(m[1]) + Number(m[2]), 302); // 300 files, their manifest, sum.txt
        assert(Number(m[2]) >= 20, `only ${m[2]} objects were kept from the first push`);
        cloneToy(`${tmp.path}/a`, `${tmp.path}/b`);
        const pulled = await cli(`${tmp.path}/b`, ["pull", "--jobs", "4"], env);
        assertEquals(pulled.code, 0, pulled.out);
        assertEquals(treeDiff(`${tmp.path}/a/data`, `${tmp.path}/b/data`), []);
      } finally {
        await relay.kill();
      }
    } finally {
      server.process.kill("SIGTERM");
      await server.process.status;
    }
  },
});

/** A TCP relay from `port` to `target` on 127.0.0.1; `kill` drops every connection and stops listening. */
function startRelay(port: number, target: number): { kill(): Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  const conns = new Set<Deno.Conn>();
  const pipe = async (from: Deno.Conn, to: Deno.Conn) => {
    try {
      await from.readable.pipeTo(to.writable);
    } catch { /* dropped */ }
  };
  const accepting = (async () => {
    for await (const client of listener) {
      const upstream = await Deno.connect({ hostname: "127.0.0.1", port: target });
      conns.add(client).add(upstream);
      pipe(client, upstream);
      pipe(upstream, client);
    }
  })().catch(() => {});
  return {
    async kill() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* already closed */ }
      }
      await accepting;
    },
  };
}

interface Server {
  process: Deno.ChildProcess;
  out: Promise<string>;
}

function startServer(dir: string, port: number): Server {
  const process = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${REPO}/tools/services/s3rver.ts`, dir, env!.PIPELINE_TEST_S3_BUCKET, String(port)],
    cwd: REPO,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const out = (async () => {
    const reader = process.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    reader.releaseLock();
    process.stdout.cancel().catch(() => {});
    return text;
  })();
  return { process, out };
}

/** Objects s3rver has stored so far (its files end in `._S3rver_object`). */
function countStored(dir: string): number {
  return filesUnder(dir).filter((f) => f.endsWith("._S3rver_object")).length;
}

async function freePort(): Promise<number> {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return await Promise.resolve(port);
}

async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "pipeline-remote-s3-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}
