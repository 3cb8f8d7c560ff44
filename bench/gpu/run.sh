#!/usr/bin/env bash
# One-call GPU benchmark: PyTorch eager vs tfjs webgpu (stock and ours) on lib/models' cnn and resnet20.
# Run from the repository root on the device machine with .offline/ (Deno + deps, from offline-pack.sh) and
# .gl/ (Vulkan loader debs). Full logs and results go to $OUT (default: ./bench-gpu-out). See README.md.
set -uo pipefail
OUT="${OUT:-$PWD/bench-gpu-out}"
mkdir -p "$OUT"
RES="$OUT/results.jsonl"
: > "$RES"
T0=$(date +%s)
say() { echo "[run.sh +$(( $(date +%s) - T0 ))s] $*" | tee -a "$OUT/run.log"; }

# (a) Deno and the npm cache.
if [ ! -x /tmp/deno ]; then xz -dc .offline/deno.xz > /tmp/deno && chmod +x /tmp/deno; fi
[ -d .offline-denodir ] || tar xJf .offline/deps.tar.xz
export DENO_DIR="$PWD/.offline-denodir"
DENO=/tmp/deno
say "deno: $($DENO --version | head -1)"

# (b) Vulkan loader + NVIDIA ICD.
for f in .gl/*.deb; do [ -e "$f" ] && dpkg -x "$f" /; done
ldconfig 2>/dev/null || true
export VK_DRIVER_FILES="${VK_DRIVER_FILES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}"
export XDG_RUNTIME_DIR="$(mktemp -d)"
nvidia-smi --query-gpu=name,driver_version,memory.used --format=csv 2>&1 | tee -a "$OUT/run.log"

# (c) PyTorch peer.
say "torch peer"
timeout 150 python3 bench/gpu/torch_peer.py --batches 128,512 --steps 30 --warmup 5 \
  > "$OUT/torch.log" 2>&1; say "torch exit $?"
grep '^RESULT ' "$OUT/torch.log" >> "$RES"

# tfjs webgpu runs: one process each (gradient registrations are process-wide). Args: model variant batch extra...
tfjs() {
  local model=$1 variant=$2 batch=$3; shift 3
  local log="$OUT/tfjs_${model}_${variant}_b${batch}.log"
  say "tfjs $model $variant b$batch $*"
  timeout "${TFJS_TIMEOUT:-100}" $DENO run --cached-only -A bench/gpu/tfjs_webgpu.ts --model "$model" \
    --variant "$variant" --batch "$batch" "$@" > "$log" 2>&1
  local rc=$?
  [ $rc -ne 0 ] && { say "  exit $rc; tail:"; tail -5 "$log" | tee -a "$OUT/run.log"; }
  grep '^RESULT ' "$log" >> "$RES"
}
tfjs resnet20 ours 128 --steps 10 --warmup 3 --profile
tfjs cnn ours 128 --steps 10 --warmup 3
tfjs cnn ours 512 --steps 10 --warmup 3
tfjs resnet20 ours 512 --steps 10 --warmup 3
tfjs cnn stock 128 --steps 5 --warmup 2
tfjs resnet20 dw+grads 128 --steps 5 --warmup 2
tfjs resnet20 dw 128 --steps 3 --warmup 2 --max-seconds 15 --pipelined 3
TFJS_TIMEOUT=120 tfjs resnet20 stock 128 --steps 2 --warmup 1 --max-seconds 15 --pipelined 1 --profile

$DENO run --cached-only -A bench/gpu/report.ts "$RES" > "$OUT/report.md" 2> "$OUT/report.err"
cat "$OUT/report.md"
say "done"
