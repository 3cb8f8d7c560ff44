/**
 * Builds lib/backends/wasm/simd_kernels.wasm (for tfjs's threaded binary, whose memory is shared) and
 * simd_kernels_plain.wasm (for its single-threaded one) from the C files of lib/backends/wasm/simd/ (one per
 * kind of kernel, sharing simd/common.h) with Debian's clang and lld, and
 * checks that each is fit to run on the tfjs wasm heap: its only import is a memory (`env.memory`), and it has
 * no data segment and no start function (either would write into memory tfjs owns). The two differ only in
 * their memory import: their code sections are the same bytes, so they compute the same bits.
 *
 * The build is reproducible: the same clang gives the same bytes, so the committed .wasm is checked against its
 * source (`--check`, also run by tests/lib/backends/wasm/simd_build_test.ts). clang is called with `-c` and
 * lld separately, so that clang never runs wasm-opt behind our back when binaryen happens to be installed.
 *
 * Usage: deno run -A lib/backends/wasm/build_simd.ts [--check]   (deno task build:simd)
 *
 * @module
 */

const here = new URL("./", import.meta.url);
const SOURCES = new URL("simd/", here).pathname;

/** The C files of simd/, in name order (the link order, so the build does not depend on the directory's). */
export function simdSources(): string[] {
  return [...Deno.readDirSync(SOURCES)].filter((e) => e.isFile && e.name.endsWith(".c")).map((e) => e.name)
    .sort().map((name) => `${SOURCES}${name}`);
}

/** The two builds: for a shared (threaded tfjs) memory and for a plain one. */
export const SIMD_BUILDS = {
  shared: {
    file: "simd_kernels.wasm",
    lld: ["--shared-memory", "--max-memory=4294967296"],
  },
  plain: { file: "simd_kernels_plain.wasm", lld: [] },
} as const;
/** One of {@link SIMD_BUILDS}. */
export type SimdBuild = keyof typeof SIMD_BUILDS;

/**
 * clang flags of both builds: wasm32 with SIMD128 (no relaxed SIMD, and no contraction: fused multiply-adds
 * would differ across machines) and atomics (the counter threads take work items from; wasm allows atomic
 * instructions on a plain memory too, so both builds keep the same code).
 */
export const CLANG_FLAGS = [
  "--target=wasm32",
  "-O3",
  "-msimd128",
  "-matomics",
  "-mbulk-memory",
  "-mmutable-globals",
  "-nostdlib",
  "-ffreestanding",
  "-ffp-contract=off",
  "-fno-ident",
  "-Wall",
  "-Werror",
] as const;

/**
 * lld flags of both builds: import the memory (the shared one declares tfjs's 4 GiB maximum, which a shared
 * import must; the plain one none, so it takes any), export the stack pointer for the pool to set.
 */
export const LLD_FLAGS = [
  "--no-entry",
  "--import-memory",
  "--export=__stack_pointer",
  "--strip-all",
] as const;

async function run(cmd: string, args: string[]): Promise<void> {
  let out;
  try {
    out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  } catch (e) {
    throw new Error(
      `build_simd: cannot run '${cmd}' (${(e as Error).message}); install it: apt-get install clang lld`,
    );
  }
  if (out.code !== 0) {
    throw new Error(`build_simd: ${cmd} failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
}

/** The top-level sections of a wasm binary, in order: id and content. */
export function sections(bytes: Uint8Array): { id: number; content: Uint8Array }[] {
  const out: { id: number; content: Uint8Array }[] = [];
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at++];
    let size = 0;
    for (let shift = 0;; shift += 7) {
      const b = bytes[at++];
      size += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) break;
    }
    out.push({ id, content: bytes.subarray(at, at + size) });
    at += size;
  }
  return out;
}

/** Throws unless `bytes` is a module that only imports a memory and owns none of it. */
export function checkHeapSafe(bytes: Uint8Array<ArrayBuffer>): void {
  const module = new WebAssembly.Module(bytes);
  const imports = WebAssembly.Module.imports(module);
  if (imports.length !== 1 || imports[0].kind !== "memory" || imports[0].name !== "memory") {
    throw new Error(`simd_kernels.wasm must import only env.memory, got ${JSON.stringify(imports)}`);
  }
  const banned: Record<number, string> = {
    8: "start function",
    11: "data segments",
    12: "data segments (a data count)",
  };
  for (const { id } of sections(bytes)) {
    if (banned[id]) {
      throw new Error(`simd_kernels.wasm has ${banned[id]}: static data would overwrite the tfjs heap`);
    }
  }
}

/** Compiles the C files of simd/ into one build and returns the checked module's bytes. */
export async function buildSimdKernels(build: SimdBuild): Promise<Uint8Array<ArrayBuffer>> {
  const dir = await Deno.makeTempDir({ prefix: "build_simd_" });
  try {
    const wasm = `${dir}/simd_kernels.wasm`;
    const objects = [];
    for (const [i, source] of simdSources().entries()) {
      objects.push(`${dir}/${i}.o`);
      await run("clang", [...CLANG_FLAGS, "-c", "-o", objects[i], source]);
    }
    await run("wasm-ld", [...LLD_FLAGS, ...SIMD_BUILDS[build].lld, "-o", wasm, ...objects]);
    const bytes = await Deno.readFile(wasm);
    checkHeapSafe(bytes);
    return bytes;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The code section's bytes (id 10). */
export const codeSection = (bytes: Uint8Array): Uint8Array =>
  sections(bytes).find((s) => s.id === 10)!.content;

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

if (import.meta.main) {
  const check = Deno.args.includes("--check");
  const built = { shared: await buildSimdKernels("shared"), plain: await buildSimdKernels("plain") };
  if (!sameBytes(codeSection(built.shared), codeSection(built.plain))) {
    throw new Error("build_simd: the shared and plain builds compiled to different code; they must not");
  }
  for (const [build, bytes] of Object.entries(built)) {
    const target = new URL(SIMD_BUILDS[build as SimdBuild].file, here).pathname;
    if (!check) {
      await Deno.writeFile(target, bytes);
      console.log(`wrote ${target} (${bytes.length} bytes)`);
    } else if (!sameBytes(await Deno.readFile(target), bytes)) {
      console.error(
        `${target} does not match lib/backends/wasm/simd/*.c: run deno task build:simd and commit the result`,
      );
      Deno.exit(1);
    } else {
      console.log(`${target} matches its source (${bytes.length} bytes)`);
    }
  }
}
