import { assert } from "../assert.ts";

const FIXTURE = new URL("./train_steps_fixture.ts", import.meta.url).pathname;

async function weightsAfterTraining(threads: number): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", FIXTURE, "--threads", String(threads)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert(out.code === 0, `threads ${threads}: ${new TextDecoder().decode(out.stderr).slice(-1500)}`);
  const line = text.split("\n").find((l) => l.startsWith("WEIGHTS "));
  assert(line?.endsWith(" wasm"), `threads ${threads}: no weights line in ${text}`);
  return line!.split(" ")[1];
}

Deno.test("cnn training on wasm gives the same weights bit for bit on 1, 2 and 3 threads", async () => {
  // 1 thread runs tfjs's single-threaded binary and our plain build; 2 and 3 the threaded ones and helpers.
  const [one, two, three] = [
    await weightsAfterTraining(1),
    await weightsAfterTraining(2),
    await weightsAfterTraining(3),
  ];
  assert(one === two && two === three, `weights differ: 1 ${one}, 2 ${two}, 3 ${three}`);
});
