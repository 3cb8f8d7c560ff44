/**
 * Worker that hashes whole files off the main thread, so large files are hashed on every core at once.
 * Receives `{ id, path }`, answers `{ id, digest }` or `{ id, error }`.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { hashFileStreaming } from "./file_digest.ts";

self.onmessage = async (e: MessageEvent<{ id: number; path: string }>) => {
  const { id, path } = e.data;
  try {
    self.postMessage({ id, digest: await hashFileStreaming(path) });
  } catch (err) {
    self.postMessage({ id, error: String((err as Error).message ?? err) });
  }
};
