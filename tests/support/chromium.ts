/**
 * Debian's Chromium, headless, for the tests that render pages: a fresh profile per call, no network, no GPU.
 *
 * @example
 * ```ts
 * if (CHROMIUM_PRESENT) {
 *   const { stdout: dom } = await headlessChromium(["--dump-dom", `file://${page}`]);
 * }
 * ```
 *
 * @module
 */

/** Where Debian's `chromium` package puts the browser. */
export const CHROMIUM = "/usr/bin/chromium";

/** Whether the browser is installed (`apt-get install -y chromium`). */
export const CHROMIUM_PRESENT = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();

/** Run headless Chromium with `args` (e.g. `--dump-dom URL`); throws with its stderr tail when it fails. */
export async function headlessChromium(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const profile = await Deno.makeTempDir({ prefix: "chromium-profile-" });
  try {
    const out = await new Deno.Command(CHROMIUM, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        `--user-data-dir=${profile}`,
        ...args,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    const res = { stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
    if (!out.success) throw new Error(`chromium failed: ${res.stderr.slice(-2000)}`);
    return res;
  } finally {
    await Deno.remove(profile, { recursive: true });
  }
}
