/**
 * Test fixture of work_items_test.ts: a helper thread that takes part in every job but takes no work item, as
 * if the system never gave it a core. It reports each job done at once and never runs a kernel.
 */
import { workerData } from "node:worker_threads";
import { CTRL, type SimdWorkerData, waitForJob } from "../../../../lib/backends/wasm/simd_protocol.ts";

const data = workerData as SimdWorkerData;
const ctrl = new Int32Array(data.memory.buffer, data.ctrl, CTRL.words);
Atomics.add(ctrl, CTRL.ready, 1);
let seen = 0;
for (;;) {
  seen = waitForJob(ctrl, seen);
  Atomics.add(ctrl, CTRL.done, 1);
  Atomics.notify(ctrl, CTRL.done);
}
