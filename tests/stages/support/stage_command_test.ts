import { deepStrictEqual as assertEquals, match as assertMatch, throws } from "node:assert/strict";
import { HelpShown, parseStageArgs } from "../../../stages/support/stage_command.ts";

const OPTS = [
  { name: "alpha", description: "α" },
  { name: "corruption-examples", description: "examples dir", default: "outputs/x" },
];

Deno.test("stage options: values by long name, defaults, negative values as their own word", () => {
  assertEquals(parseStageArgs("s", "d", OPTS, ["--alpha", "-0.3"]), {
    alpha: "-0.3",
    "corruption-examples": "outputs/x",
  });
  assertEquals(parseStageArgs("s", "d", OPTS, ["--corruption-examples=y"])["corruption-examples"], "y");
});

Deno.test("stage --help lists every option with its default, as HelpShown", () => {
  let help = "";
  try {
    parseStageArgs("train", "trains one network", OPTS, ["--help"]);
  } catch (e) {
    if (!(e instanceof HelpShown)) throw e;
    help = e.text;
  }
  assertMatch(help, /Usage: train/);
  assertMatch(help, /--alpha <value>\s+α/);
  assertMatch(help, /--corruption-examples <value>\s+examples dir \(default: "outputs\/x"\)/);
});

Deno.test("stage command line: unknown options and stray words are refused naming the stage", () => {
  throws(
    () => parseStageArgs("train", "d", OPTS, ["--alhpa", "1"]),
    /^Error: train: unknown option '--alhpa'/,
  );
  throws(() => parseStageArgs("train", "d", OPTS, ["extra"]), /train: too many arguments/);
});

Deno.test("a stage script prints its help and exits 0 (train, through runStage)", async () => {
  const script = new URL("../../../stages/train.ts", import.meta.url).pathname;
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, "--help"],
    stdout: "piped",
  })
    .output();
  assertEquals(r.code, 0);
  const out = new TextDecoder().decode(r.stdout);
  for (const flag of ["--alpha", "--seed", "--backend", "--threads", "--data", "--out", "--checkpoints"]) {
    assertMatch(out, new RegExp(`${flag} <value>`));
  }
});
