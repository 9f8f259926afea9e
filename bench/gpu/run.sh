#!/bin/bash
# Usage: make CUDA=1 && bash bench/gpu/make_bundle.sh, then on the device machine (the tool
# `run` with carry ["tmp/gpu-run"]): bash bench/gpu/run.sh. tmp/ is ignored by git. The
# working tree that travels must stay under 64 MiB: move tests/fixtures/deberta/v3-tiny/
# model.safetensors and tests/fixtures/deberta_tokens/tokenizer.json aside for the call.
# The GPU check of the CUDA path, in one call: build, CUDA and ModernBERT test suites, bench of
# ModernBERT-large (random weights) on the GPU and on this machine's CPU, GPU/CPU parity on the
# large shapes. Logs and JSON under $OUT.
set -u
R=tmp/gpu-run
OUT=${OUT:-/tmp/gpu-out}
mkdir -p "$OUT"
exec > >(tee "$OUT/run.log") 2>&1
step() { echo; echo "== $* ($(date +%T))"; }

step machine
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm --format=csv,noheader
echo "cpus $(nproc): $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
grep PRETTY /etc/os-release; ldd --version | head -1
ls /usr/local/cuda/lib64/libcublas.so.* /usr/local/cuda/lib64/libcudart.so.* 2>&1 | head -4
tar -xJf $R/bundle.tar.xz -C $R

step "build here: make CUDA=1 -j16"
if timeout 180 make CUDA=1 -j16 > "$OUT/build.log" 2>&1; then
    BIN=build-cuda
    echo "built on the device"
else
    tail -3 "$OUT/build.log"
    BIN=$R/bin
    export LD_LIBRARY_PATH=$PWD/$R/lib
    echo "device build failed (above); using the binaries built on the dev machine with carried libraries"
fi
if ldd $BIN/finecat | grep -q "not found"; then
    ldd $BIN/finecat | grep "not found"
    extra=$(dirname "$(find / -name 'libcublas.so.13' -not -path '/proc/*' 2>/dev/null | head -1)")
    echo "adding $extra"
    export LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}:$extra
fi

step "finecat_tests cuda"
FINECAT_REQUIRE_GPU=1 timeout 240 $BIN/finecat_tests cuda
cuda_rc=$?
if [ $cuda_rc -ne 0 ]; then
    step "compute-sanitizer on the CUDA suite (it failed)"
    FINECAT_REQUIRE_GPU=1 timeout 100 compute-sanitizer --tool memcheck --print-limit 10 \
        $BIN/finecat_tests cuda 2>&1 | tail -60
fi

step "finecat_tests modernbert"
timeout 120 $BIN/finecat_tests modernbert

step "bench ModernBERT-large, GPU, batch 32"
mkdir -p /tmp/large
timeout 240 $BIN/finecat bench --config $R/large/config.json --random-weights --work-dir /tmp/large \
    --device cuda --pairs 740 --json "$OUT/bench_cuda.json"

step "bench ModernBERT-large, GPU, batch 128"
timeout 120 $BIN/finecat bench --model /tmp/large --device cuda --pairs 740 --batch-size 128 \
    --json "$OUT/bench_cuda_b128.json"

step "GPU vs CPU logits, ModernBERT-large shapes, 64 pairs"
head -64 bench/pairs.jsonl > /tmp/pairs64.jsonl
timeout 60 $BIN/finecat predict --model /tmp/large --device cuda --input /tmp/pairs64.jsonl \
    --output /tmp/pred_cuda.jsonl
timeout 120 $BIN/finecat predict --model /tmp/large --device cpu --input /tmp/pairs64.jsonl \
    --output /tmp/pred_cpu.jsonl
python3 - <<'PY'
import json
a = [json.loads(l)["logits"] for l in open("/tmp/pred_cuda.jsonl")]
b = [json.loads(l)["logits"] for l in open("/tmp/pred_cpu.jsonl")]
d = max(abs(x - y) for ra, rb in zip(a, b) for x, y in zip(ra, rb))
same = sum(max(range(len(ra)), key=ra.__getitem__) == max(range(len(rb)), key=rb.__getitem__) for ra, rb in zip(a, b))
print(f"pairs {len(a)}/{len(b)}: max |logit diff| GPU vs CPU {d:.3e}, argmax agreement {same}/{len(a)}")
PY

step "bench ModernBERT-large, CPU ($(nproc) threads), batch 32, 1 repeat"
timeout 200 $BIN/finecat bench --model /tmp/large --device cpu --pairs 740 --repeats 1 \
    --json "$OUT/bench_cpu.json"

step summary
echo "cuda suite exit $cuda_rc"
for f in bench_cuda bench_cuda_b128 bench_cpu; do
    [ -f "$OUT/$f.json" ] && echo "$f: $(cat "$OUT/$f.json")"
done
