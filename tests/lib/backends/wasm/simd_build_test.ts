import { assert, assertEqualJson, assertRejects } from "../assert.ts";
import {
  buildSimdKernels,
  checkHeapSafe,
  codeSection,
  sections,
  SIMD_BUILDS,
} from "../../../../lib/backends/wasm/build_simd.ts";
import { SIMD_KERNELS } from "../../../../lib/backends/wasm/simd_protocol.ts";

const read = (file: string) =>
  Deno.readFile(new URL(`../../../../lib/backends/wasm/${file}`, import.meta.url));
const committed = { shared: await read(SIMD_BUILDS.shared.file), plain: await read(SIMD_BUILDS.plain.file) };

for (const build of ["shared", "plain"] as const) {
  Deno.test(`the committed ${SIMD_BUILDS[build].file} is lib/backends/wasm/simd/ built again (deno task build:simd)`, async () => {
    const built = await buildSimdKernels(build);
    assertEqualJson(built.length, committed[build].length, "size");
    assert(
      built.every((b, i) => b === committed[build][i]),
      "the bytes differ: run deno task build:simd and commit",
    );
  });
}

Deno.test("both builds have the same code, import only a memory (shared or not) and export every kernel", () => {
  const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);
  assert(same(codeSection(committed.shared), codeSection(committed.plain)), "code sections differ");
  for (const [build, bytes] of Object.entries(committed)) {
    checkHeapSafe(bytes);
    const module = new WebAssembly.Module(bytes);
    const exported = WebAssembly.Module.exports(module).map((e) => e.name);
    for (const name of SIMD_KERNELS) assert(exported.includes(name), `${build} exports ${name}`);
  }
  // A plain memory is accepted by the plain build only.
  const plain = new WebAssembly.Memory({ initial: 2 });
  new WebAssembly.Instance(new WebAssembly.Module(committed.plain), { env: { memory: plain } });
  let refused = false;
  try {
    new WebAssembly.Instance(new WebAssembly.Module(committed.shared), { env: { memory: plain } });
  } catch {
    refused = true;
  }
  assert(refused, "the shared build refuses a plain memory");
});

/** A module importing env.memory (shared), with one more section of id `extra` if given. */
function moduleWith(extra?: "data" | "start"): Uint8Array<ArrayBuffer> {
  const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const type = [0x01, 0x04, 0x01, 0x60, 0x00, 0x00]; // one type: () -> ()
  const memoryImport = [
    0x02,
    0x0f,
    0x01,
    0x03,
    0x65,
    0x6e,
    0x76,
    0x06,
    0x6d,
    0x65,
    0x6d,
    0x6f,
    0x72,
    0x79,
    0x02,
    0x03,
    0x01,
    0x01,
  ];
  memoryImport[1] = memoryImport.length - 2;
  const func = [0x03, 0x02, 0x01, 0x00];
  const start = [0x08, 0x01, 0x00];
  const code = [0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b];
  // One passive data segment of one byte (passive: shared memories take no active segments without bulk init).
  const dataCount = [0x0c, 0x01, 0x01];
  const data = [0x0b, 0x04, 0x01, 0x01, 0x01, 0x2a];
  return Uint8Array.from([
    ...header,
    ...type,
    ...memoryImport,
    ...func,
    ...(extra === "start" ? start : []),
    ...(extra === "data" ? dataCount : []),
    ...code,
    ...(extra === "data" ? data : []),
  ]);
}

Deno.test("checkHeapSafe rejects a module with data segments or a start function", async () => {
  checkHeapSafe(moduleWith());
  assertEqualJson(sections(moduleWith("data")).map((s) => s.id), [1, 2, 3, 12, 10, 11], "section ids");
  await assertRejects(
    () => Promise.resolve().then(() => checkHeapSafe(moduleWith("data"))),
    /data segments/,
    "data segment",
  );
  await assertRejects(
    () => Promise.resolve().then(() => checkHeapSafe(moduleWith("start"))),
    /start function/,
    "start function",
  );
});
