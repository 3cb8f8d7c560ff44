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
  B128="${B128:-4}" B512="${B512:-8}" TFJS_EXTRA="${TFJS_EXTRA:---steps 2 --warmup 3 --pipelined 2}"
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

  # (c) The webgpu tests on this GPU (CI runs them on llvmpipe): kernels against the cpu backend, step graphs
  # against training through tfjs, bit for bit.
  say "webgpu tests on the GPU"
  NO_COLOR=1 timeout 300 $DENO test --cached-only -A tests/lib/backends/webgpu/*_test.ts tests/lib/backends/kernels/webgpu_*_test.ts \
    tests/lib/train/graph_steps_test.ts tests/lib/attacks/tracking_models_test.ts > "$OUT/gpu_tests.log" 2>&1
  GPU_TESTS="webgpu tests on this GPU (tests/lib/backends/webgpu/*_test.ts tests/lib/backends/kernels/webgpu_*_test.ts, tests/lib/train/graph_steps_test.ts, tests/lib/attacks/tracking_models_test.ts): exit $?, $(grep -aE '^(ok|FAILED) \|' "$OUT/gpu_tests.log" | tail -1)"
  say "$GPU_TESTS"

  # (d) PyTorch peer: eager with both optimizers (OPTS=momentum: momentum only, in the next call), then the
  # stronger peers, with the `train` stage's optimizer: the whole step as one CUDA graph, and eager with TF32 off
  # (fp32 convolutions, as our shaders; PyTorch's default runs cuDNN in TF32). TORCH_MODES=…,compile adds
  # torch.compile (slow to compile).
  say "torch peer"
  : > "$OUT/torch.log"
  EAGER=""
  if [ "${OPTS:-momentum sgd}" = momentum ]; then
    EAGER="eager,"
  else
    timeout 200 python3 bench/gpu/torch_peer.py --batches 128,512 --steps 30 --warmup 5 --pipelined 50 \
      > "$OUT/torch.log" 2>&1
    say "torch exit $?"
  fi
  timeout 250 python3 bench/gpu/torch_peer.py --batches 128,512 --optimizers momentum \
    --modes "$EAGER${TORCH_MODES:-graphs,fp32}" --steps 30 --warmup 5 --pipelined 50 >> "$OUT/torch.log" 2>&1
  say "torch $EAGER${TORCH_MODES:-graphs,fp32} exit $?"
  grep '^RESULT ' "$OUT/torch.log" >> "$RES"
fi

# tfjs webgpu runs: one process each (gradient registrations are process-wide). Args: model variant optimizer
# batch extra... `phase1` is the state of the first device run, `phase2` the second's `ours` (+ WGSL batch norm
# and fused SGD); `ours` adds the cached uniforms and bind groups (needs a few warm-up steps to settle).
tfjs() {
  local model=$1 variant=$2 opt=$3 batch=$4; shift 4
  local log="$OUT/tfjs_${model}_${variant}${GRAPH:+_graph}_${opt}_b${batch}${TAG:+_$TAG}.log"
  say "tfjs $model $variant${GRAPH:+ graph} $opt b$batch ${TAG:-} $*"
  timeout "${TFJS_TIMEOUT:-100}" $DENO run --cached-only -A bench/gpu/tfjs_webgpu.ts --model "$model" \
    --variant "$variant" --optimizer "$opt" --batch "$batch" ${GRAPH:+--graph} ${TAG:+--tag "$TAG"} \
    ${ENVS:+--env "$ENVS"} "$@" \
    $TFJS_EXTRA > "$log" 2>&1
  local rc=$?
  [ $rc -ne 0 ] && { say "  exit $rc; tail:"; tail -5 "$log" | tee -a "$OUT/run.log"; }
  grep '^RESULT ' "$log" >> "$RES"
}
W="--steps 10 --warmup 10 --pipelined 50"
# Step graphs (GRAPH=1: `--graph`, what the `train` stage runs on webgpu) and the same through tfjs.
# OPTS=momentum skips the plain-SGD runs (a shorter call).
# QUICK=1 (a short call): of the runs through tfjs only the profiles (ResNet20 at batch 128; both models at
# 512); of the variants only `scalar`, `nopad` and `stockmm`.
QUICK="${QUICK:-0}"
for opt in ${OPTS:-momentum sgd}; do
  for model in cnn resnet20; do
    GRAPH=1 tfjs $model ours $opt $B128 $W
    [ "$QUICK" = 1 ] && [ $model = cnn ] && continue
    tfjs $model ours $opt $B128 $W $([ $opt = momentum ] && echo --profile)
  done
done
GRAPH=1 tfjs cnn ours momentum $B512 $W
GRAPH=1 tfjs resnet20 ours momentum $B512 $W
# Variants through step graphs: `scalar`, run 17's kernels (batch norm and the ReLU gradient over scalars,
# tfjs's Relu, two-pass MaxPoolGrad and matmul choice, first layers of 1 or 3 channels on the GEMM programs);
# `nopad`, the first layers alone; `stockmm`, tfjs's matmul choice alone; `twosgd`, run 15's updates (SGD as
# two kernels a variable, the moving averages as one a statistic, instead of in place: --no-in-place); `run14`,
# run 14's dW and dx (the split-K GEMM for dW, the direct dx reading tfjs's filter layout); `tileddw` and
# `dxhwio`, each of them alone; `gemm`, run 13's default (our implicit-GEMM forward, tfjs's dx shader).
SCALAR="--max-pool-grad stock --relu stock --mat-mul stock --env OUR_WEBGPU_VEC4=false,OUR_WEBGPU_PAD_CHANNELS=false"
RUN14="--filter-grad tiled --input-grad direct"
for model in cnn resnet20; do
  for b in $B128 $B512; do
    GRAPH=1 TAG=scalar tfjs $model ours momentum $b $W $SCALAR
    GRAPH=1 TAG=nopad tfjs $model ours momentum $b $W --env OUR_WEBGPU_PAD_CHANNELS=false
    # tfjs's own choice of matmul programs for the dense layer (32×32 tiles at batch 512).
    GRAPH=1 TAG=stockmm tfjs $model ours momentum $b $W --mat-mul stock
    [ "$QUICK" = 1 ] && continue
    GRAPH=1 TAG=twosgd tfjs $model ours momentum $b $W --no-in-place
    GRAPH=1 TAG=run14 tfjs $model ours momentum $b $W $RUN14
    GRAPH=1 TAG=tileddw tfjs $model ours momentum $b $W --filter-grad tiled
    GRAPH=1 TAG=dxhwio tfjs $model ours momentum $b $W --input-grad direct
  done
  [ "$QUICK" = 1 ] || GRAPH=1 TAG=gemm tfjs $model ours momentum $B128 $W --conv gemm --input-grad stock
done
# Through tfjs at batch 512 with profiles (last: the step graphs are what training runs).
tfjs cnn ours momentum $B512 $W --profile
tfjs resnet20 ours momentum $B512 $W --profile
# The slow old variants (about 2 min more): FULL=1 bash bench/gpu/run.sh
if [ "${FULL:-0}" = 1 ]; then
  tfjs resnet20 phase2 momentum $B128 $W
  tfjs cnn phase2 momentum $B128 $W
  TAG=submit64 ENVS=WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE=64 tfjs resnet20 ours momentum $B128 $W
  TAG=nocpufwd ENVS=WEBGPU_CPU_FORWARD=false tfjs cnn ours momentum $B128 $W
  tfjs resnet20 phase1 momentum $B128 --steps 10 --warmup 3 --profile
  tfjs cnn phase1 momentum $B128 --steps 10 --warmup 3
  tfjs cnn stock sgd $B128 --steps 5 --warmup 2
  tfjs resnet20 dw+grads sgd $B128 --steps 5 --warmup 2
  TFJS_TIMEOUT=120 tfjs resnet20 stock sgd $B128 --steps 2 --warmup 1 --max-seconds 15 --pipelined 1 --profile
fi

# End to end: the prepare-data and train stages on a synthetic 28×28×1 dataset (E2E_TRAIN images, E2E_EPOCHS,
# params.yaml's model and train settings otherwise) on webgpu; prints the images/s the train stage records.
# Twice: with step graphs (the default on webgpu) and through tfjs (PIPELINE_STEP_GRAPHS=0).
# E2E=0 leaves it out (a shorter call).
E2E_LINES=""
if [ "${E2E:-1}" = 1 ]; then
  E2E_DIR="$(mktemp -d)"
  say "e2e: prepare-data (synthetic ${E2E_TRAIN:-16384} train images)"
  PIPELINE_PARAMS="$($DENO run --cached-only -A bench/gpu/e2e_params.ts prepare "$E2E_DIR/data" "${E2E_TRAIN:-16384}")" \
    timeout 60 $DENO run --cached-only -A stages/prepare_data.ts > "$OUT/e2e_prepare.log" 2>&1 || say "  prepare exit $?"
  for graphs in 1 0; do
    say "e2e: train on webgpu, step graphs $graphs"
    PIPELINE_PARAMS="$($DENO run --cached-only -A bench/gpu/e2e_params.ts train "${E2E_EPOCHS:-3}")" PIPELINE_BACKEND=webgpu \
      PIPELINE_STEP_GRAPHS=$graphs PIPELINE_RUN_RECORD="$E2E_DIR/facts$graphs.json" timeout "${E2E_TIMEOUT:-120}" $DENO run --cached-only -A stages/train.ts \
      --alpha 0 --seed 1 --data "$E2E_DIR/data" --out "$E2E_DIR/models$graphs" --checkpoints "$E2E_DIR/ckpt" \
      > "$OUT/e2e_train_graphs$graphs.log" 2>&1 || say "  train exit $?"
    cp "$E2E_DIR/models$graphs/a0-s1.metrics.json" "$OUT/e2e_graphs$graphs.metrics.json" 2>/dev/null
    cp "$E2E_DIR/models$graphs/a0-s1.curves.json" "$OUT/e2e_graphs$graphs.curves.json" 2>/dev/null
    cp "$E2E_DIR/facts$graphs.json" "$OUT/e2e_graphs$graphs.facts.json" 2>/dev/null
    line="$($DENO run --cached-only -A bench/gpu/e2e_summary.ts "$E2E_DIR/facts$graphs.json" 2>&1)"
    say "$line"
    E2E_LINES="$E2E_LINES$line"$'\n'
  done
fi

$DENO run --cached-only -A bench/gpu/report.ts "$RES" > "$OUT/report.md" 2> "$OUT/report.err"
printf '\n%s' "$E2E_LINES" >> "$OUT/report.md"
[ -n "${GPU_TESTS:-}" ] && printf '\n%s\n' "$GPU_TESTS" >> "$OUT/report.md"
cat "$OUT/report.md"
say "done"
