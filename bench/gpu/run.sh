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

# LOCAL=1 (a smoke test on llvmpipe): the installed deno, no Vulkan debs, no PyTorch, batches $B128/$B512
# (default 4/8) and $TFJS_EXTRA (default 2 steps) appended to every tfjs run.
LOCAL="${LOCAL:-0}"
if [ "$LOCAL" = 1 ]; then
  B128="${B128:-4}" B512="${B512:-8}" TFJS_EXTRA="${TFJS_EXTRA:---steps 2 --warmup 1 --pipelined 2}"
  DENO=$(command -v deno)
  export XDG_RUNTIME_DIR="$(mktemp -d)"
else
  B128=128 B512=512 TFJS_EXTRA=""
  # (a) Deno and the npm cache.
  if [ ! -x /tmp/deno ]; then xz -dc .offline/deno.xz > /tmp/deno && chmod +x /tmp/deno; fi
  [ -d .offline-denodir ] || tar xJf .offline/deps.tar.xz
  export DENO_DIR="$PWD/.offline-denodir"
  DENO=/tmp/deno
fi
say "deno: $($DENO --version | head -1)"

if [ "$LOCAL" != 1 ]; then
  # (b) Vulkan loader + NVIDIA ICD.
  for f in .gl/*.deb; do [ -e "$f" ] && dpkg -x "$f" /; done
  ldconfig 2>/dev/null || true
  export VK_DRIVER_FILES="${VK_DRIVER_FILES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}"
  export XDG_RUNTIME_DIR="$(mktemp -d)"
  nvidia-smi --query-gpu=name,driver_version,memory.used --format=csv 2>&1 | tee -a "$OUT/run.log"

  # (c) PyTorch peer.
  say "torch peer"
  timeout 150 python3 bench/gpu/torch_peer.py --batches 128,512 --steps 30 --warmup 5 \
    > "$OUT/torch.log" 2>&1
  say "torch exit $?"
  grep '^RESULT ' "$OUT/torch.log" >> "$RES"
fi

# tfjs webgpu runs: one process each (gradient registrations are process-wide). Args: model variant optimizer
# batch extra... `phase1` is the state of the first device run; `ours` adds the WGSL batch norm and fused SGD.
tfjs() {
  local model=$1 variant=$2 opt=$3 batch=$4; shift 4
  local log="$OUT/tfjs_${model}_${variant}_${opt}_b${batch}.log"
  say "tfjs $model $variant $opt b$batch $*"
  timeout "${TFJS_TIMEOUT:-100}" $DENO run --cached-only -A bench/gpu/tfjs_webgpu.ts --model "$model" \
    --variant "$variant" --optimizer "$opt" --batch "$batch" "$@" $TFJS_EXTRA > "$log" 2>&1
  local rc=$?
  [ $rc -ne 0 ] && { say "  exit $rc; tail:"; tail -5 "$log" | tee -a "$OUT/run.log"; }
  grep '^RESULT ' "$log" >> "$RES"
}
for opt in momentum sgd; do
  tfjs resnet20 ours $opt $B128 --steps 10 --warmup 3 $([ $opt = momentum ] && echo --profile)
  tfjs resnet20 phase1 $opt $B128 --steps 10 --warmup 3 $([ $opt = momentum ] && echo --profile)
  tfjs cnn ours $opt $B128 --steps 10 --warmup 3
  tfjs cnn phase1 $opt $B128 --steps 10 --warmup 3
done
tfjs cnn ours momentum $B512 --steps 10 --warmup 3
tfjs resnet20 ours momentum $B512 --steps 10 --warmup 3
tfjs resnet20 phase1 momentum $B512 --steps 10 --warmup 3
# The slow stock variants of the first run (about 90 s more): FULL=1 bash bench/gpu/run.sh
if [ "${FULL:-0}" = 1 ]; then
  tfjs cnn stock sgd $B128 --steps 5 --warmup 2
  tfjs resnet20 dw+grads sgd $B128 --steps 5 --warmup 2
  TFJS_TIMEOUT=120 tfjs resnet20 stock sgd $B128 --steps 2 --warmup 1 --max-seconds 15 --pipelined 1 --profile
fi

$DENO run --cached-only -A bench/gpu/report.ts "$RES" > "$OUT/report.md" 2> "$OUT/report.err"
cat "$OUT/report.md"
say "done"
