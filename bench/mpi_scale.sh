#!/usr/bin/env bash
# Scaling of finecat across MPI ranks (issue 17): samples/s of training and of `curate score`
# with 1 and 2 ranks on this machine, and the gradient all-reduce's communication volume per
# optimizer step for ModernBERT-large.
#
# On one machine the ranks share its cores (1 rank: all cores as OpenMP threads; N ranks:
# cores / N threads each), so this measures the overhead of splitting the work (the
# all-reduce, smaller GEMMs, every rank tokenizing and reading all data), not a speedup; a
# speedup needs ranks on separate nodes (README, "Running on a cluster"). A third row, 1 rank
# with cores / 2 threads, is the control: each of the 2 ranks has as many threads.
#
# Training: the shipped BERT student (models/finecat-nli-minilm) on bench/pairs.jsonl with
# labels cycled entailment/neutral/contradiction (the labels do not change the speed), batch
# 16 (all ranks together), a few steps; samples/s is the mean of train_log.csv's samples_per_s
# over the steps after the first. Scoring: the same model over the first 200 pairs, shards of 50;
# samples/s is rows / the slowest rank's forward-pass seconds, and rows / wall seconds.
#
# Usage: bench/mpi_scale.sh [--bin build-mpi/finecat] [--model DIR] [--steps N] [--work DIR]
# Needs a `make MPI=1` build. Takes one to two minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=build-mpi/finecat
model=models/finecat-nli-minilm
steps=3
work=/tmp/finecat_mpi_scale
large=../shared/data/tokenizers/ModernBERT-large/config.json
while [ $# -gt 0 ]; do
    case "$1" in
        --bin) bin=$2; shift 2 ;;
        --model) model=$2; shift 2 ;;
        --steps) steps=$2; shift 2 ;;
        --work) work=$2; shift 2 ;;
        -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "mpi_scale.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cores=$(nproc)
rm -rf "$work"
mkdir -p "$work"
awk 'BEGIN { split("entailment neutral contradiction", L, " ") }
     { sub(/}[[:space:]]*$/, ", \"label\": \"" L[NR % 3 + 1] "\"}"); print }' bench/pairs.jsonl >"$work/train.jsonl"
head -200 "$work/train.jsonl" >"$work/score.jsonl"

echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), $cores cores; the ranks share them; load average$(uptime | sed 's/.*load average//')"
echo "(this measures the overhead of N ranks on one machine, not a speedup; other programs"
echo "running on the machine at the same time change the numbers)"
echo
printf "%-6s %-8s %22s %22s %20s\n" ranks threads "train samples/s" "score samples/s" "score rows/s (wall)"
for config in "1 $cores" "1 $((cores / 2 > 0 ? cores / 2 : 1))" "2 $((cores / 2 > 0 ? cores / 2 : 1))"; do
    set -- $config
    n=$1 threads=$2
    run=(mpirun --oversubscribe --bind-to none -x OMP_NUM_THREADS="$threads" -np "$n" "$bin")
    "${run[@]}" train --init "$model" --data "$work/train.jsonl" --out "$work/train-$n-$threads" \
        --steps "$steps" --batch-size 16 --max-length 128 >"$work/train-$n-$threads.log" 2>&1
    train=$(awk -F, 'NR > 2 { s += $8; n++ } END { printf "%.1f", n ? s / n : 0 }' "$work/train-$n-$threads/train_log.csv")
    "${run[@]}" curate score --input "$work/score.jsonl" --output "$work/score-$n-$threads.jsonl" \
        --model "$model" --shard-size 50 --json "$work/score-$n-$threads.json" >"$work/score-$n-$threads.log" 2>&1
    model_rate=$(jq -r '.model_samples_per_second | . * 10 | round / 10' "$work/score-$n-$threads.json")
    wall_rate=$(jq -r '(.rows / .seconds) | . * 10 | round / 10' "$work/score-$n-$threads.json")
    printf "%-6s %-8s %22s %22s %20s\n" "$n" "$threads" "$train" "$model_rate" "$wall_rate"
done
half=$((cores / 2 > 0 ? cores / 2 : 1))
cmp -s "$work/score-1-$half.jsonl" "$work/score-2-$half.jsonl" &&
    echo "(score outputs of 1 and 2 ranks with $half thread(s) each: identical bytes)" ||
    echo "(score outputs of 1 and 2 ranks with $half thread(s) each DIFFER)"
params=$(sed -n 's/.* \([0-9.]*\)M parameters.*/\1/p' "$work/train-1-$cores.log" | head -1)
echo "trained model: ${params}M parameters, so ${params}M x 4 bytes = $(awk -v p="$params" 'BEGIN { printf "%.0f", p * 4 }') MB of gradients all-reduced per step"

echo
# ModernBERT-large's parameters, from its config as src/model/modernbert/modernbert_tensors.c
# lists them: embeddings and their norm, per layer Wqkv, Wo, Wi (gated: 2 x intermediate),
# mlp Wo, an attention norm (none in layer 0) and an MLP norm, the final norm, the head's
# dense and norm, and a 3-label classifier with bias; biases where the config asks for them.
if [ -f "$large" ]; then
    jq -r '
      (.hidden_size) as $h | (.intermediate_size) as $i | (.num_hidden_layers) as $l |
      (if .norm_bias then 2 else 1 end) as $nb |
      (if .attention_bias then 1 else 0 end) as $ab | (if .mlp_bias then 1 else 0 end) as $mb |
      (if .classifier_bias then 1 else 0 end) as $cb |
      (.vocab_size * $h + $nb * $h
       + $l * (3 * $h * $h + 3 * $h * $ab + $h * $h + $h * $ab + 2 * $i * $h + 2 * $i * $mb
               + $h * $i + $h * $mb + $nb * $h)
       + ($l - 1) * $nb * $h
       + $nb * $h + $h * $h + $h * $cb + $nb * $h + 3 * $h + 3)' "$large" >"$work/large.params"
    P=$(cat "$work/large.params")
    echo "ModernBERT-large ($large): $P parameters; ring all-reduce of fp32 gradients sends"
    echo "and receives P x 4 bytes x 2(N-1)/N per rank per optimizer step:"
    for n in 2 4 8 16; do
        awk -v p="$P" -v n="$n" 'BEGIN { printf "  N = %2d: %.2f GB per rank per step\n", n, p * 4 * 2 * (n - 1) / n / 1e9 }'
    done
else
    echo "($large not found: no ModernBERT-large volume)"
fi
[ "${KEEP:-0}" = 1 ] || rm -rf "$work"
