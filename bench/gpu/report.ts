/**
 * Turns the `RESULT {json}` lines of tfjs_webgpu.ts and torch_peer.py (read from the files given as
 * arguments) into Markdown: throughput with ratios to PyTorch, the step split (enqueue vs wall vs GPU kernel
 * time), per-kernel profiles and WebGPU calls per step.
 *
 * Usage: deno run -A bench/gpu/report.ts results.jsonl
 */
// deno-lint-ignore no-explicit-any
type Row = Record<string, any>;

const rows: Row[] = [];
for (const file of Deno.args) {
  for (const line of Deno.readTextFileSync(file).split("\n")) {
    const i = line.indexOf("RESULT ");
    if (i >= 0) rows.push(JSON.parse(line.slice(i + 7)));
  }
}
/**
 * The PyTorch row of the same model, batch and optimizer in `mode` (older result files have no optimizer: plain
 * SGD; no mode: eager), if it ran.
 */
const torch = (model: string, batch: number, optimizer: string, mode = "eager") =>
  rows.find((r) =>
    r.impl === "torch" && r.model === model && r.batch === batch && (r.optimizer ?? "sgd") === optimizer &&
    (r.mode ?? "eager") === mode && !r.error
  );
const ratio = (v: number | null | undefined, refValue: number | undefined) =>
  v == null
    ? "–"
    : refValue
    ? `${v.toLocaleString("en")} (${(v / refValue).toFixed(3)}×)`
    : v.toLocaleString("en");
const out: string[] = [];
out.push(
  "| Model | Batch | Implementation | img/s synced (÷ PyTorch) | img/s pipelined (÷ PyTorch) | pipelined ÷ PyTorch CUDA graphs | pipelined ÷ PyTorch fp32 (no TF32) | step ms | enqueue ms | first step ms | loss finite |",
);
out.push("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|");
const ordered = [...rows].sort((p, q) =>
  `${p.model}${String(p.batch).padStart(5)}${p.optimizer ?? "sgd"}${p.impl === "torch" ? 0 : 1}`
    .localeCompare(
      `${q.model}${String(q.batch).padStart(5)}${q.optimizer ?? "sgd"}${q.impl === "torch" ? 0 : 1}`,
    )
);
for (const r of ordered) {
  const ref = torch(r.model, r.batch, r.optimizer ?? "sgd");
  if (r.impl === "torch" && r.error) {
    out.push(
      `| ${r.model} | ${r.batch} | ${r.variant} | did not run: ${
        r.error.replaceAll("|", "/")
      } | | | | | | | |`,
    );
  } else if (r.impl === "torch") {
    out.push(
      `| ${r.model} | ${r.batch} | ${r.variant} | ${r.imgPerSec.toLocaleString("en")} | ${
        r.pipelinedImgPerSec?.toLocaleString("en") ?? "–"
      } | – | – | ${r.medianMs} | – | – | ${Number.isFinite(r.loss)} |`,
    );
  } else {
    const pipelinedOver = (mode: string) => {
      const peer = torch(r.model, r.batch, r.optimizer ?? "sgd", mode);
      return peer && r.pipelinedImgPerSec
        ? `${(r.pipelinedImgPerSec / peer.pipelinedImgPerSec).toFixed(3)}×`
        : "–";
    };
    // Synced against synced, pipelined against pipelined (older PyTorch rows: against synced).
    out.push(
      `| ${r.model} | ${r.batch} | tfjs webgpu ${r.variant} | ${ratio(r.imgPerSec, ref?.imgPerSec)} | ${
        ratio(r.pipelinedImgPerSec, ref?.pipelinedImgPerSec ?? ref?.imgPerSec)
      } | ${pipelinedOver("graphs")} | ${pipelinedOver("fp32")} | ` +
        `${r.medianMs} | ${r.medianEnqueueMs} | ${r.firstStepMs} | ${r.finite} |`,
    );
  }
}
for (const r of rows.filter((r) => r.profile)) {
  const p = r.profile;
  out.push("", `### Profile: ${r.model} batch ${r.batch}, ${r.variant}`, "");
  out.push(
    `Synced step ${r.medianMs} ms (enqueue ${r.medianEnqueueMs} ms); profiled step ${p.profiledWallMs} ms wall with ` +
      `${p.kernelCount} kernels and ${p.kernelMsSum} ms summed GPU kernel time ` +
      `(${
        r.adapterFeatures.includes("timestamp-query")
          ? "timestamp queries"
          : "no timestamp-query: kernel times are 0"
      }); ` +
      `non-kernel share of the synced step ≈ ${
        Math.max(0, 100 * (1 - p.kernelMsSum / r.medianMs)).toFixed(0)
      } %.`,
    "",
  );
  out.push("| Kernel | calls | GPU ms |", "|---|---:|---:|");
  for (const k of p.kernels.slice(0, 15)) out.push(`| ${k.name} | ${k.calls} | ${k.ms} |`);
  if (p.shapes?.length) {
    out.push("", "| Kernel | input shapes | calls | GPU ms |", "|---|---|---:|---:|");
    for (const k of p.shapes) out.push(`| ${k.name} | ${k.inputShapes} | ${k.calls} | ${k.ms} |`);
  }
}
const withCalls = rows.filter((r) => r.gpuCallsPerStep && Object.keys(r.gpuCallsPerStep).length);
if (withCalls.length) {
  out.push("", "### WebGPU calls in one synced step (calls / ms spent in the call / bytes)", "");
  const names = [...new Set(withCalls.flatMap((r) => Object.keys(r.gpuCallsPerStep)))].sort();
  out.push(`| Run | ${names.join(" | ")} |`, `|---|${names.map(() => "---:").join("|")}|`);
  for (const r of withCalls) {
    const cells = names.map((n) => {
      const c = r.gpuCallsPerStep[n];
      return c ? `${c.calls} / ${c.ms} / ${c.bytes ? (c.bytes / 1e6).toFixed(2) + " MB" : "-"}` : "–";
    });
    out.push(`| ${r.model} b${r.batch} ${r.variant} | ${cells.join(" | ")} |`);
  }
}
const withCache = rows.filter((r) => r.dispatchCachePerStep);
if (withCache.length) {
  const keys = Object.keys(withCache[0].dispatchCachePerStep); // as tfjs_webgpu.ts records them
  out.push("", "### Dispatch cache per synced step (mean over the synced steps)", "");
  out.push(`| Run | ${keys.join(" | ")} |`, `|---|${keys.map(() => "---:").join("|")}|`);
  for (const r of withCache) {
    out.push(
      `| ${r.model} b${r.batch} ${r.variant} | ${keys.map((k) => r.dispatchCachePerStep[k]).join(" | ")} |`,
    );
  }
}
console.log(out.join("\n"));
