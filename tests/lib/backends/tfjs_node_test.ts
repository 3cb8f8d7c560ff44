import { equal, ok as assert, throws } from "node:assert/strict";
import { loadTfjsNode } from "../../../lib/backends/tfjs_node.ts";

Deno.test("tfjs-node is loaded from a .native/ prefix as setup:native installs it; its absence is explained", () => {
  const native = Deno.makeTempDirSync();
  const from = [`${native}/package.json`];
  try {
    throws(() => loadTfjsNode(from), /@tensorflow\/tfjs-node is not installed \(deno task setup:native/);
    const pkg = `${native}/node_modules/@tensorflow/tfjs-node`;
    Deno.mkdirSync(pkg, { recursive: true });
    Deno.writeTextFileSync(
      `${pkg}/package.json`,
      JSON.stringify({ name: "@tensorflow/tfjs-node", main: "index.js" }),
    );
    Deno.writeTextFileSync(`${pkg}/index.js`, "globalThis.__fakeTfjsNodeLoaded = true;\n");
    equal(loadTfjsNode(from), "@tensorflow/tfjs-node");
    assert((globalThis as { __fakeTfjsNodeLoaded?: boolean }).__fakeTfjsNodeLoaded);
  } finally {
    Deno.removeSync(native, { recursive: true });
  }
});
