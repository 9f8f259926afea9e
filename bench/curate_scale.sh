#!/usr/bin/env bash
# Scale benchmark of `finecat curate`: synthesizes a BigCat-sized training set (2.6M rows by
# default) by resampling the real rows of shared/data/nli into the six sources' native formats,
# with exact and near duplicates, label conflicts and evaluation leaks planted
# (bench/curate_synth.c), then times the non-model steps of the pipeline on it:
#   ingest (the synthetic training files and the real dev/test/val files), dedupe, hist (on
#   synthetic scores that stand in for the pilot model) and select (down to 1M rows).
# Reports rows/s and peak resident memory per step (/usr/bin/time), their total against the
# targets (under 2 minutes, under 2 GB), and the pilot model's samples/s on a sample of rows.
# Exits 1 when a target is missed.
#
# Usage: bench/curate_scale.sh [--rows N] [--work DIR] [--bin PATH] [--build DIR]
#                              [--pilot MODEL] [--sample N] [--seed S] [--keep]
# Defaults: 2600000 rows, /tmp/finecat_curate_scale, build/finecat, build (for libfinecat.a),
# the tiny-mean fixture as pilot (random weights: its samples/s says nothing of a real model's;
# give --pilot DIR for that), 2000 rows scored, seed 1; the work folder is removed unless --keep.
# Needs about 3 GB of disk in the work folder.
set -euo pipefail

rows=2600000
work=/tmp/finecat_curate_scale
bin=build/finecat
build=build
pilot=tests/fixtures/modernbert/tiny-mean
sample=2000
seed=1
keep=0
while [ $# -gt 0 ]; do
    case "$1" in
        --rows) rows=$2; shift 2 ;;
        --work) work=$2; shift 2 ;;
        --bin) bin=$2; shift 2 ;;
        --build) build=$2; shift 2 ;;
        --pilot) pilot=$2; shift 2 ;;
        --sample) sample=$2; shift 2 ;;
        --seed) seed=$2; shift 2 ;;
        --keep) keep=1; shift ;;
        -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "curate_scale.sh: unknown option $1" >&2; exit 2 ;;
    esac
done

shared=${FINECAT_SHARED:-../shared/data}
[ -d "$shared/nli" ] || shared=shared/data
data=$shared/nli
[ -d "$data" ] || { echo "curate_scale.sh: no $data (set FINECAT_SHARED)" >&2; exit 2; }
[ -x "$bin" ] || { echo "curate_scale.sh: no program $bin (make, or --bin)" >&2; exit 2; }
[ -f "$build/libfinecat.a" ] || { echo "curate_scale.sh: no $build/libfinecat.a" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "curate_scale.sh: needs /usr/bin/time (Debian: time)" >&2; exit 2; }

mkdir -p "$work"
[ "$keep" = 1 ] || trap 'rm -rf "$work"' EXIT

cc -O2 -std=c17 -D_GNU_SOURCE -Iinclude -Isrc bench/curate_synth.c "$build/libfinecat.a" \
    -lcjson -lpcre2-8 -lutf8proc -lmicrohttpd -ldnnl -lpthread -lm -fopenmp -o "$work/curate_synth"

echo "machine: $(getconf _NPROCESSORS_ONLN) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)," \
     "load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "synthesizing $rows rows in $work ..."
/usr/bin/time -f "%e s, peak %M KB" -o "$work/synth.time" \
    "$work/curate_synth" make "$data" "$work" "$rows" "$seed"
echo "(synthesis: $(cat "$work/synth.time"); not part of the pipeline)"

# One step: its command timed; prints name, rows in, seconds, rows/s, peak RSS.
total_seconds=0
peak_kb=0
report() { # name rows_in
    local name=$1 rows_in=$2 elapsed kb
    read -r elapsed kb < "$work/$name.time"
    awk -v n="$name" -v r="$rows_in" -v e="$elapsed" -v k="$kb" \
        'BEGIN { printf "%-8s %10d rows %8.1f s %12.0f rows/s %8.0f MB peak\n", n, r, e, (e > 0 ? r / e : 0), k / 1024 }'
    total_seconds=$(awk -v a="$total_seconds" -v b="$elapsed" 'BEGIN { print a + b }')
    [ "$kb" -gt "$peak_kb" ] && peak_kb=$kb
    return 0
}
run_step() { # name rows_in command...
    local name=$1 rows_in=$2
    shift 2
    if ! /usr/bin/time -f "%e %M" -o "$work/$name.time" "$@" >"$work/$name.out" 2>"$work/$name.err"; then
        echo "curate_scale.sh: $name failed:" >&2
        tail -5 "$work/$name.err" >&2
        exit 1
    fi
    report "$name" "$rows_in"
}
lines() { cat "$@" | wc -l; }

train_files=("$work"/snli_train.jsonl "$work"/mnli_train.jsonl "$work"/anli_train.jsonl
             "$work"/wanli_train.jsonl "$work"/lingnli_train.jsonl "$work"/nli_fever_train.jsonl)
eval_files=("$data"/snli/csv_export/snli_dev.csv "$data"/snli/csv_export/snli_test.csv
            "$data"/anli/anli_v0.1/R1/dev.jsonl "$data"/anli/anli_v0.1/R1/test.jsonl
            "$data"/anli/anli_v0.1/R2/dev.jsonl "$data"/anli/anli_v0.1/R2/test.jsonl
            "$data"/anli/anli_v0.1/R3/dev.jsonl "$data"/anli/anli_v0.1/R3/test.jsonl
            "$data"/mnli/native_subsets/multinli_dev_matched_subset1000.jsonl
            "$data"/lingnli/val_round5_LotS_combined.jsonl
            "$data"/lingnli/val_round5_LitL_combined.jsonl)
inputs=()
for f in "${train_files[@]}" "${eval_files[@]}"; do inputs+=(--input "$f"); done

echo
run_step ingest "$(lines "${train_files[@]}" "${eval_files[@]}")" \
    "$bin" curate ingest "${inputs[@]}" --output "$work/bigcat.jsonl"
run_step dedupe "$(lines "$work/bigcat.jsonl")" \
    "$bin" curate dedupe --input "$work/bigcat.jsonl" --output "$work/deduped.jsonl"
"$work/curate_synth" scores "$work/deduped.jsonl" "$work/scored.jsonl" "$seed"
run_step hist "$(lines "$work/scored.jsonl")" \
    "$bin" curate hist --input "$work/scored.jsonl" --svg "$work/hist.svg"
run_step select "$(lines "$work/scored.jsonl")" \
    "$bin" curate select --input "$work/scored.jsonl" --output "$work/selected.jsonl" \
    --target-rows 1000000 --seed "$seed"
awk -v s="$total_seconds" -v k="$peak_kb" \
    'BEGIN { printf "%-8s %10s      %8.1f s %12s        %8.0f MB peak\n", "total", "", s, "", k / 1024 }'

echo
echo "dedupe found:"
sed -n '1,/^$/p' "$work/dedupe.out"
tail -n 1 "$work/dedupe.out"
echo "select:"
sed -n '1,/^$/p' "$work/select.out"

# Scoring is the model's cost: samples/s of the pilot on a sample of the rows.
head -n "$sample" "$work/deduped.jsonl" > "$work/sample.jsonl"
"$bin" curate score --input "$work/sample.jsonl" --output "$work/sample_scored.jsonl" \
    --model "$pilot" >"$work/score.out" 2>"$work/score.err"
echo "pilot $pilot on $sample rows: $(grep 'samples/s' "$work/score.out")"

status=0
awk -v s="$total_seconds" 'BEGIN { exit !(s < 120) }' || { echo "MISSED: over 2 minutes"; status=1; }
[ "$peak_kb" -lt $((2 * 1024 * 1024)) ] || { echo "MISSED: over 2 GB"; status=1; }
[ $status = 0 ] && echo "targets met: non-model steps under 2 minutes and under 2 GB"
exit $status
