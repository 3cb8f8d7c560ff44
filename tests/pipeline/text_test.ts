import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
  throws,
} from "node:assert/strict";
import { canonicalJson } from "../../pipeline/canonical.ts";
import { explain } from "../../pipeline/fingerprint.ts";
import { globBase, globToRegExp } from "../../pipeline/glob.ts";
import { interpolate } from "../../pipeline/interpolate.ts";
import { keySegments, lookup, parseOverrides } from "../../pipeline/params.ts";
import { flatten } from "../../pipeline/metrics.ts";

Deno.test("canonical JSON sorts keys at every depth and keeps array order", () => {
  assertEquals(canonicalJson({ b: 1, a: [3, { d: 1, c: 2 }] }), '{"a":[3,{"c":2,"d":1}],"b":1}');
});

Deno.test("globs: * stays in a segment, ** crosses them, ? and classes match one character", () => {
  const re = globToRegExp("src/**/*.ts");
  assert(re.test("src/a.ts") && re.test("src/x/y/a.ts"));
  assert(!re.test("src/a.tsx") && !re.test("lib/a.ts"));
  assert(globToRegExp("a/*.txt").test("a/b.txt") && !globToRegExp("a/*.txt").test("a/b/c.txt"));
  assert(globToRegExp("f?[0-9].csv").test("fa7.csv") && !globToRegExp("f?[0-9].csv").test("fab.csv"));
  assertEquals(globBase("data/raw/*.csv"), "data/raw");
  assertEquals(globBase("*.csv"), "");
});

Deno.test("interpolation: scalars into strings, a whole placeholder keeps its type, unknown keys fail", () => {
  const ctx = { train: { lr: 0.1 }, grid: [1, 2], item: { a: -1 } };
  assertEquals(interpolate("--lr ${train.lr} --a ${item.a}", ctx, "here"), "--lr 0.1 --a -1");
  assertEquals(interpolate("${grid}", ctx, "here"), [1, 2]);
  throws(() => interpolate("x ${grid}", ctx, "here"), /is a list; only a scalar/);
  throws(
    () => interpolate("${train.l}", ctx, "f.yaml:1:2"),
    /f\.yaml:1:2: '\$\{train\.l\}' names nothing.*did you mean 'train\.lr'/,
  );
});

Deno.test("params: dotted keys with indexes, typed overrides", () => {
  assertEquals(keySegments("a.b[2].c"), ["a", "b", 2, "c"]);
  assertEquals(lookup({ a: { b: [0, 0, { c: 7 }] } }, "a.b[2].c"), 7);
  assertEquals(parseOverrides(["x=1e-3", "y=true", "z=[1, 2]", "w=text"]), {
    x: 0.001,
    y: true,
    z: [1, 2],
    w: "text",
  });
  throws(() => parseOverrides(["novalue"]), /expected key=value/);
});

Deno.test("explain names each changed component, down to the changed leaf of a param section", () => {
  const fp = {
    cmd: ["run"],
    wdir: "",
    deps: { "a.txt": { digest: "2", size: 1 } },
    params: { train: { lr: 0.2, epochs: 3 } },
    outs: ["o"],
  };
  const entry = {
    key: "k",
    cmd: ["run"],
    deps: { "a.txt": { digest: "1", size: 1 }, "gone.txt": { digest: "3", size: 1 } },
    params: { train: { lr: 0.1, epochs: 3 } },
    outs: { o: { digest: "x", size: 1 } },
  };
  assertEquals(explain(fp, entry), [
    "dep 'a.txt' modified",
    "dep 'gone.txt' removed",
    "param 'train.lr' changed: 0.1 -> 0.2",
  ]);
  assertMatch(explain(fp, undefined)[0], /never run/);
});

Deno.test("metrics flatten to dotted keys and keep only scalars", () => {
  assertEquals(flatten({ a: { b: 1, c: "x" }, l: [true, null], n: null }), {
    "a.b": 1,
    "a.c": "x",
    "l.0": true,
  });
});
