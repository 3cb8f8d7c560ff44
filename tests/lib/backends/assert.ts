/** Minimal assertions (JSR's @std/assert is not reachable here). */

/** Throws `msg` unless `cond` holds. */
export function assert(cond: unknown, msg = "assertion failed"): asserts cond {
  if (!cond) throw new Error(msg);
}

/** Throws unless `actual < bound`, reporting both. */
export function assertLess(actual: number, bound: number, what: string): void {
  if (!(actual < bound)) throw new Error(`${what}: ${actual} is not < ${bound}`);
}

/** Throws unless the two values are equal as JSON. */
export function assertEqualJson(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual), e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: got ${a}, expected ${e}`);
}

/** Throws unless `fn` rejects with a message matching `pattern`. */
export async function assertRejects(
  fn: () => Promise<unknown>,
  pattern: RegExp,
  what: string,
): Promise<void> {
  try {
    await fn();
  } catch (e) {
    const m = (e as Error).message;
    if (!pattern.test(m)) throw new Error(`${what}: message '${m}' does not match ${pattern}`);
    return;
  }
  throw new Error(`${what}: did not throw`);
}
