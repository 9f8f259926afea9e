#!/usr/bin/env bash
# The MPI build's tests (issue 17), run by `make test-mpi`: finecat under `mpirun -np 1, 2, 3`
# on this machine, with the tiny fixture models of tests/fixtures (each run takes one to two
# seconds, mostly mpirun start-up). Checks that
#   - training with N ranks gives the loss curve of one process (same global batch), to 1e-6
#     relative, for ModernBERT and for BERT with dropout on, with gradient accumulation and
#     with ranks whose share of a batch is empty;
#   - a run stopped after any checkpoint, or killed, resumes with another rank count to the
#     same curve;
#   - curate score and teacher write the same bytes for N = 1, 2, 3, and a stopped run
#     resumes with another N to the same bytes;
#   - eval and predict (JSONL and the data readers' formats) split their input across ranks
#     and give one process's results;
#   - progress and summaries are printed once, by rank 0;
#   - ranks started with different options or data fail with a message that says so.
# Ends with "N passed, N failed" and a non-zero status if any check failed.
set -uo pipefail
cd "$(dirname "$0")/../.."

BIN=${FINECAT_BIN:-build-mpi/finecat}
FIX=tests/fixtures
WORK=$(mktemp -d /tmp/finecat-mpi.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# OpenMPI refuses root without these (CI runs as root); more ranks than cores need
# --oversubscribe. One thread per rank: the curation manifest records the thread count, and
# the same count everywhere makes N = 1, 2, 3 comparable byte for byte.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
# Containers often forbid the cross-process memory reads (CMA) of OpenMPI's shared-memory
# transport; copying through the shared segment works everywhere.
export OMPI_MCA_btl_vader_single_copy_mechanism=none
MPIRUN=(mpirun --oversubscribe --bind-to none -x OMP_NUM_THREADS)

passed=0
failed=0
check() { # check NAME COMMAND...: one check, its name printed when it fails
    local name=$1
    shift
    if "$@"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL: $name" >&2
    fi
}

# run N ARGS...: finecat on N ranks (N = 1 still goes through mpirun: the MPI build's path);
# its output goes to $WORK/run.log, shown when it fails.
run() {
    local n=$1
    shift
    if ! timeout 120 "${MPIRUN[@]}" -np "$n" "$BIN" "$@" >"$WORK/run.log" 2>&1; then
        tail -20 "$WORK/run.log" >&2
        return 1
    fi
}

disagree() { # disagree PATTERN MPMD-ARGS...: fails, and says PATTERN
    local pattern=$1
    shift
    ! timeout 60 "${MPIRUN[@]}" "$@" >"$WORK/disagree.log" 2>&1 && grep -q "$pattern" "$WORK/disagree.log"
}

# SIGKILLs every process whose command line holds $1 (mpirun and its ranks), again until none
# is left (up to 10 s). Killing mpirun alone is not enough: OpenMPI starts each rank in a
# process group of its own, and ranks that talk over shared memory outlive a killed mpirun:
# rank 0 once appended a row to train_log.csv after the resumed run had rewritten it, and once
# finished the whole run.
# The sweep reads /proc without a subprocess per entry: the ranks must not get the time to finish.
kill_job() {
    local f left args
    for i in $(seq 1 100); do
        left=0
        for f in /proc/[0-9]*/cmdline; do
            mapfile -d '' args <"$f" 2>/dev/null || continue
            case "${args[*]}" in *"$1"*) kill -9 "${f//[^0-9]/}" 2>/dev/null && left=1 ;; esac
        done
        [ "$left" = 0 ] && return 0
        sleep 0.1
    done
}

# same_curve A.csv B.csv: train_log.csv files with the same steps, rows and teacher rows, and
# loss, ce and mse equal to 1e-6 relative. Prints the largest relative difference of each of
# those and of grad_norm (not checked: a norm of 10^4 per-parameter sums; its differences are
# of the same origin, the order of the float sums, and it does not enter the curve but through
# the clip).
same_curve() {
    awk -F, 'NR == FNR { a[FNR] = $0; n = FNR; next }
        FNR == 1 { next }
        {
            split(a[FNR], x, ",")
            if (x[1] != $1 || x[9] != $9 || x[10] != $10) { print "step " $1 ": rows differ"; bad = 1 }
            for (c = 3; c <= 7; c++) {
                if (c == 6) continue
                d = x[c] - $c; if (d < 0) d = -d
                m = x[c] < 0 ? -x[c] : x[c]
                if (c <= 5 && d > 1e-6 * m + 1e-9) { print "step " $1 " column " c ": " x[c] " vs " $c; bad = 1 }
                if (d / (m + 1e-30) > worst[c]) worst[c] = d / (m + 1e-30)
            }
            rows++
        }
        END {
            if (rows != n - 1) { print "step counts differ: " n - 1 " vs " rows; bad = 1 }
            printf "  %d steps; largest relative difference: loss %.1e, ce %.1e, mse %.1e (grad_norm %.1e)\n",
                   rows, worst[3], worst[4], worst[5], worst[7]
            exit bad
        }' "$1" "$2" >&2
}

MB_INIT=$FIX/train/tiny-cls
MB_TOK=$FIX/modernbert/tiny-cls
DATA=$FIX/train/rows.jsonl # 9 rows: batches of 4 leave a last batch of 1 (empty shares)
# BERT with dropout on: the fixture's config with dropout probabilities raised.
BERT=$WORK/bert-dropout
mkdir -p "$BERT"
cp "$FIX"/bert_train/bert-train/{config.json,model.safetensors,tokenizer.json,tokenizer_config.json,special_tokens_map.json} "$BERT"/
sed -i 's/"attention_probs_dropout_prob": 0.0/"attention_probs_dropout_prob": 0.1/;
        s/"hidden_dropout_prob": 0.0/"hidden_dropout_prob": 0.1/;
        s/"classifier_dropout": null/"classifier_dropout": 0.2/' "$BERT/config.json"
check "bert config has dropout" grep -q '"hidden_dropout_prob": 0.1' "$BERT/config.json"

train() { # train N OUT ARGS...
    local n=$1 out=$2
    shift 2
    run "$n" train --data "$DATA" --out "$out" --steps 20 --lr 1e-3 --quiet "$@"
}

echo "training: N ranks against one process" >&2
MB=(--init "$MB_INIT" --tokenizer "$MB_TOK")
check "modernbert 1 rank, batch 8" train 1 "$WORK/mb1" "${MB[@]}" --batch-size 8
check "modernbert 2 ranks x 4" train 2 "$WORK/mb2" "${MB[@]}" --batch-size 8
check "modernbert 2 ranks curve" same_curve "$WORK/mb1/train_log.csv" "$WORK/mb2/train_log.csv"
check "modernbert 1 rank, batch 4 x accum 2" train 1 "$WORK/mba1" "${MB[@]}" --batch-size 4 --grad-accum 2
check "modernbert 3 ranks, batch 4 x accum 2" train 3 "$WORK/mba3" "${MB[@]}" --batch-size 4 --grad-accum 2
check "modernbert 3 ranks accum curve" same_curve "$WORK/mba1/train_log.csv" "$WORK/mba3/train_log.csv"
check "only rank 0 writes: one model" test -f "$WORK/mb2/model/model.safetensors"
check "only rank 0 writes: plot" test -f "$WORK/mb2/train_plot.svg"
# A second run into the same folder: refused on every rank without --overwrite; with it, rank 0
# alone deletes the first run (not the other ranks, under its feet) and trains it again.
check "train: --out holds a run, refused" disagree "already holds a training run" \
    -np 2 "$BIN" train --data "$DATA" --out "$WORK/mb2" --steps 20 --lr 1e-3 --quiet "${MB[@]}" --batch-size 8
check "train --overwrite with 2 ranks" run 2 train --data "$DATA" --out "$WORK/mb2" --steps 20 \
    --lr 1e-3 "${MB[@]}" --batch-size 8 --overwrite
check "train --overwrite: same curve" same_curve "$WORK/mb1/train_log.csv" "$WORK/mb2/train_log.csv"
check "train (2 ranks): one line per step" test "$(grep -c 'step 20/20 ' "$WORK/run.log")" -eq 1

BE=(--init "$BERT")
check "bert 1 rank, batch 6" train 1 "$WORK/be1" "${BE[@]}" --batch-size 6 --save-every 1
check "bert 2 ranks x 3" train 2 "$WORK/be2" "${BE[@]}" --batch-size 6 --save-every 1
check "bert 2 ranks curve (dropout on)" same_curve "$WORK/be1/train_log.csv" "$WORK/be2/train_log.csv"
check "bert 3 ranks x 2" train 3 "$WORK/be3" "${BE[@]}" --batch-size 6
check "bert 3 ranks curve (dropout on)" same_curve "$WORK/be1/train_log.csv" "$WORK/be3/train_log.csv"
# Dropout really is on: without it the curve is another one.
check "bert without dropout" train 1 "$WORK/be0" --init "$FIX/bert_train/bert-train" --batch-size 6
check "bert dropout changes the curve" bash -c "! cmp -s <(cut -d, -f3 '$WORK/be0/train_log.csv') <(cut -d, -f3 '$WORK/be1/train_log.csv')"

echo "training: resume after a stop at step k with another rank count" >&2
# A run killed after checkpoint-k leaves checkpoints 1..k and no model/: rebuild that from the
# 2-rank run (saved every step), then resume with 1 and 3 ranks.
for case in "3 1" "8 3" "13 3" "17 1"; do
    set -- $case
    k=$1 n=$2 dir=$WORK/resume-$1-$2
    cp -r "$WORK/be2" "$dir"
    rm -rf "$dir/model" "$dir/train_plot.svg" "$dir/train_log.csv"
    for c in "$dir"/checkpoint-*; do
        [ "${c##*-}" -gt "$k" ] && rm -rf "$c"
    done
    check "resume from step $k with $n ranks" train "$n" "$dir" "${BE[@]}" --batch-size 6 --save-every 1 --resume "$dir"
    check "resumed curve (step $k, $n ranks)" same_curve "$WORK/be1/train_log.csv" "$dir/train_log.csv"
done

# A real kill: SIGKILL the 2-rank job (mpirun and both ranks, kill_job) once checkpoint-20
# exists, resume with 3 ranks.
K=(--init "$MB_INIT" --tokenizer "$MB_TOK" --data "$DATA" --steps 60 --lr 1e-3 --batch-size 4
   --save-every 5 --quiet)
check "modernbert 60 steps, 1 rank" run 1 train "${K[@]}" --out "$WORK/k1"
"${MPIRUN[@]}" -np 2 "$BIN" train "${K[@]}" --out "$WORK/killed" >/dev/null 2>&1 &
job=$!
for i in $(seq 1 300); do
    [ -f "$WORK/killed/checkpoint-20/trainer_state.json" ] && break
    sleep 0.05
done
kill -9 "$job" 2>/dev/null
kill_job "--out $WORK/killed"
wait "$job" 2>/dev/null
check "killed before the end" test ! -e "$WORK/killed/model"
check "killed run resumes with 3 ranks" run 3 train "${K[@]}" --out "$WORK/killed" --resume "$WORK/killed"
check "killed and resumed curve" same_curve "$WORK/k1/train_log.csv" "$WORK/killed/train_log.csv"

echo "training: ranks that disagree" >&2
A=(train "${MB[@]}" --data "$DATA" --out "$WORK/bad" --steps 3 --batch-size 4 --quiet)
check "train: other --lr on rank 1" disagree "differ from rank 0's" \
    -np 1 "$BIN" "${A[@]}" --lr 1e-3 : -np 1 "$BIN" "${A[@]}" --lr 2e-3
head -5 "$DATA" >"$WORK/short.jsonl"
B=(train "${MB[@]}" --out "$WORK/bad2" --steps 3 --batch-size 4 --quiet)
check "train: other data on rank 1" disagree "differ from rank 0's" \
    -np 1 "$BIN" "${B[@]}" --data "$DATA" : -np 1 "$BIN" "${B[@]}" --data "$WORK/short.jsonl"
# The refused run left --out as it was, so its rerun is not "already holds a training run".
check "train: refused run writes no train_log.csv" test ! -e "$WORK/bad2/train_log.csv"
check "train: missing data on rank 1" disagree "missing.jsonl: cannot open" \
    -np 1 "$BIN" "${B[@]}" --data "$DATA" : -np 1 "$BIN" "${B[@]}" --data "$WORK/missing.jsonl"

echo "curation: byte-identical outputs for N = 1, 2, 3" >&2
for i in 1 2 3 4 5; do cat "$DATA"; done >"$WORK/in.jsonl" # 45 rows, 12 shards of 4
MODEL=$FIX/modernbert/tiny-mean
for stage in score teacher; do
    for n in 1 2 3; do
        check "curate $stage with $n ranks" run "$n" curate "$stage" --input "$WORK/in.jsonl" \
            --output "$WORK/$stage-$n.jsonl" --model "$MODEL" --shard-size 4 --batch-size 3
        check "curate $stage ($n ranks): one progress end" \
            test "$(grep -c "^$stage: 45 rows in" "$WORK/run.log")" -eq 1
    done
    check "curate $stage output has every row" test "$(wc -l <"$WORK/$stage-1.jsonl")" -eq 45
    check "curate $stage: 2 ranks, same bytes" cmp "$WORK/$stage-1.jsonl" "$WORK/$stage-2.jsonl"
    check "curate $stage: 3 ranks, same bytes" cmp "$WORK/$stage-1.jsonl" "$WORK/$stage-3.jsonl"
done
check "curate: work folder removed" test ! -e "$WORK/score-2.jsonl.shards"

echo "curation: a stopped run resumes with another rank count" >&2
# --stop-after-shards leaves the work folder as a kill would (each rank stops after that many).
check "curate score stops (2 ranks)" bash -c "! ${MPIRUN[*]} -np 2 $BIN curate score --input $WORK/in.jsonl \
    --output $WORK/resumed.jsonl --model $MODEL --shard-size 4 --batch-size 3 --stop-after-shards 2 >/dev/null 2>&1"
check "curate: 4 shards done, no output yet" test "$(ls "$WORK/resumed.jsonl.shards" | grep -c '^shard-.*\.jsonl$')" -eq 4 -a ! -e "$WORK/resumed.jsonl"
check "curate score resumes (3 ranks)" run 3 curate score --input "$WORK/in.jsonl" \
    --output "$WORK/resumed.jsonl" --model "$MODEL" --shard-size 4 --batch-size 3 --json "$WORK/resumed.json"
check "curate resumed: same bytes" cmp "$WORK/score-1.jsonl" "$WORK/resumed.jsonl"
check "curate resumed: rank 0 names the 4 shards" \
    test "$(grep -c 'score (rank 0): shard .* already done' "$WORK/run.log")" -eq 4 -a \
    "$(grep -c 'already done' "$WORK/run.log")" -eq 4
check "curate resumed: 4 shards resumed" grep -q '"shards_resumed":[[:space:]]*4' "$WORK/resumed.json"
# A real kill: SIGKILL the 2-rank job once some shards exist, then finish with 1 rank.
for i in $(seq 1 40); do cat "$WORK/in.jsonl"; done >"$WORK/big.jsonl" # 1800 rows
run 1 curate score --input "$WORK/big.jsonl" --output "$WORK/big-1.jsonl" --model "$MODEL" \
    --shard-size 20 --batch-size 3 >/dev/null 2>&1
"${MPIRUN[@]}" -np 2 "$BIN" curate score --input "$WORK/big.jsonl" --output "$WORK/big-k.jsonl" \
    --model "$MODEL" --shard-size 20 --batch-size 3 >/dev/null 2>&1 &
job=$!
for i in $(seq 1 100); do
    [ "$(ls "$WORK/big-k.jsonl.shards" 2>/dev/null | grep -c '^shard-.*\.jsonl$')" -ge 6 ] && break
    sleep 0.1
done
kill -9 "$job" 2>/dev/null
kill_job "--output $WORK/big-k.jsonl"
wait "$job" 2>/dev/null
check "curate killed run resumes (1 rank)" run 1 curate score --input "$WORK/big.jsonl" \
    --output "$WORK/big-k.jsonl" --model "$MODEL" --shard-size 20 --batch-size 3
check "curate killed and resumed: same bytes" cmp "$WORK/big-1.jsonl" "$WORK/big-k.jsonl"

echo "eval and predict: split across ranks, one process's results" >&2
# The counts below match anywhere in a line: mpirun merges the ranks' streams, and a line of
# rank 0 may follow another rank's unfinished one.
for i in $(seq 1 250); do cat "$DATA"; done >"$WORK/eval.jsonl" # 2250 rows: 3 chunks of 1024
for n in 1 2 3; do
    check "eval with $n ranks" run "$n" eval --model "$MODEL" --data big="$WORK/eval.jsonl" \
        --data small="$DATA" --csv "$WORK/eval-$n.csv"
    # The last three columns are timings and memory.
    cut -d, -f1-31 "$WORK/eval-$n.csv" >"$WORK/eval-$n.counts"
    check "eval ($n ranks): one progress end, one summary" test \
        "$(grep -c 'eval tiny-mean big: 2250 rows in' "$WORK/run.log")" -eq 1 -a \
        "$(grep -c 'eval: tiny-mean big: 2250 scored' "$WORK/run.log")" -eq 1
    check "predict with $n ranks" run "$n" predict --model "$MODEL" --input "$WORK/eval.jsonl" \
        --output "$WORK/predict-$n.jsonl" --chunk-size 100
    check "predict ($n ranks): one progress end" \
        test "$(grep -c 'predict: 2250 records in' "$WORK/run.log")" -eq 1
    # The same file through the data readers (--format): records rewritten, chunks shared.
    check "predict --format jsonl with $n ranks" run "$n" predict --model "$MODEL" \
        --input "$WORK/eval.jsonl" --format jsonl --output "$WORK/native-$n.jsonl" --chunk-size 100
    check "predict --format ($n ranks): one progress end" \
        test "$(grep -c 'predict: 2250 records in' "$WORK/run.log")" -eq 1
done
check "predict --format writes every record" test "$(wc -l <"$WORK/native-1.jsonl")" -eq 2250
check "predict --format: 2 ranks, same bytes" cmp "$WORK/native-1.jsonl" "$WORK/native-2.jsonl"
check "predict --format: 3 ranks, same bytes" cmp "$WORK/native-1.jsonl" "$WORK/native-3.jsonl"
check "eval counts 2250 rows" grep -q ',big,.*,ok,2250,2250,0,2250,' "$WORK/eval-1.csv"
check "eval: 2 ranks, same counts" cmp "$WORK/eval-1.counts" "$WORK/eval-2.counts"
check "eval: 3 ranks, same counts" cmp "$WORK/eval-1.counts" "$WORK/eval-3.counts"
check "predict writes every record" test "$(wc -l <"$WORK/predict-1.jsonl")" -eq 2250
check "predict: 2 ranks, same bytes" cmp "$WORK/predict-1.jsonl" "$WORK/predict-2.jsonl"
check "predict: 3 ranks, same bytes" cmp "$WORK/predict-1.jsonl" "$WORK/predict-3.jsonl"
# A bad record at line 1000 with --on-error skip: reported once, skipped on every rank.
{ head -999 "$WORK/eval.jsonl"; echo '{"premise": 3}'; tail -n +1000 "$WORK/eval.jsonl"; } >"$WORK/bad-record.jsonl"
for n in 1 3; do
    check "predict --on-error skip with $n ranks" run "$n" predict --model "$MODEL" \
        --input "$WORK/bad-record.jsonl" --output "$WORK/skip-$n.jsonl" --chunk-size 100 --on-error skip
    check "predict skip ($n ranks): one message" test "$(grep -c 'skipped)' "$WORK/run.log")" -eq 1
done
check "predict skip: 3 ranks, same bytes" cmp "$WORK/skip-1.jsonl" "$WORK/skip-3.jsonl"
check "predict under mpirun needs --input" disagree "with --input FILE" \
    -np 2 "$BIN" predict --model "$MODEL"

echo "curation: ranks that disagree" >&2
C=(curate score --input "$WORK/in.jsonl" --output "$WORK/bad.jsonl" --model "$MODEL" --shard-size 4)
check "curate: other --batch-size on rank 1" disagree "differ from rank 0's" \
    -np 1 "$BIN" "${C[@]}" --batch-size 3 : -np 1 "$BIN" "${C[@]}" --batch-size 5
check "curate run refuses several ranks" disagree "runs as one process" \
    -np 2 "$BIN" curate run --config "$WORK/none.json"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
