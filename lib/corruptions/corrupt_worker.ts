/**
 * Worker of corrupted_sets.ts's thread pool (lib/parallel/thread_pool.ts): {@link corruptedRows} of one
 * corruption off the main thread, its images handed back. corrupted_sets.ts imports only its types.
 *
 * @module
 */
import { serveThreadPool } from "../parallel/thread_worker.ts";
import { corruptedRows } from "./corrupted_rows.ts";
import type { CorruptionName } from "./registry.ts";

/** One corruption of the clean subset (the arguments of {@link corruptedRows}). */
export interface CorruptRequest {
  clean: Uint8Array;
  shape: [number, number, number];
  subset: Uint32Array;
  name: CorruptionName;
  severities: number[];
  seed: number;
}

serveThreadPool<CorruptRequest, Uint8Array>((r) => {
  const rows = corruptedRows(r.clean, r.shape, r.subset, r.name, r.severities, r.seed);
  return { result: rows, transfer: [rows.buffer as ArrayBuffer] };
});
