#!/usr/bin/env bash
# A real training run on this machine's CPU (issue 8): small ModernBERTs trained from scratch on
# the real NLI rows of ../shared/data, and a distillation run against CE alone at the same
# budget.
#
#   tools/train_demo.sh [OUT]          (default OUT: $TMPDIR/finecat_train_demo)
#
#   1. teacher: hidden 128, 4 layers, trained with CE on all 9,842 SNLI dev rows.
#   2. its logits on the student's rows (finecat predict), as teacher_logits.
#   3. students: hidden 64, 2 layers, the first 3,000 SNLI dev rows, the same steps, learning
#      rate and data order, once with CE alone (alpha 1, beta 0) and once with the FineCat loss
#      (alpha 0.5, beta 0.5), for each seed in SEEDS.
#   4. a distillation run killed part-way (SIGKILL) and resumed: its loss curve must equal the
#      uninterrupted one.
# Held out: the first 2,000 rows of SNLI test and the MNLI dev-matched subset (990 labelled
# rows, another domain). Everything is from scratch: no pretrained ModernBERT is available
# here, so accuracies are those of tiny models that saw a few thousand pairs.
#
# Environment: FINECAT (default build/finecat), FINECAT_SHARED (default ../shared/data),
# THREADS (default 1: on this 2-vCPU machine, shared with other jobs, one thread is fastest for
# models this small), SEEDS (default "1 2 3"), TEACHER_EPOCHS (6), STUDENT_EPOCHS (10).
# Needs python3 (standard library only) to convert the SNLI CSV exports and to attach the
# teacher's logits.
set -euo pipefail

FINECAT=${FINECAT:-build/finecat}
SHARED=${FINECAT_SHARED:-../shared/data}
OUT=${1:-${TMPDIR:-/tmp}/finecat_train_demo}
THREADS=${THREADS:-1}
SEEDS=${SEEDS:-1 2 3}
TEACHER_EPOCHS=${TEACHER_EPOCHS:-6}
STUDENT_EPOCHS=${STUDENT_EPOCHS:-10}
TOK=$SHARED/tokenizers/ModernBERT-large
MNLI=$SHARED/nli/mnli/native_subsets/multinli_dev_matched_subset1000.jsonl
mkdir -p "$OUT/data"

# Interchange JSONL from the SNLI CSV exports; the gold label is kept twice because
# `finecat predict` replaces "label" with its prediction.
python3 - "$SHARED" "$OUT/data" <<'EOF'
import csv, json, os, sys
shared, out = sys.argv[1], sys.argv[2]
def rows(name):
    path = os.path.join(shared, "nli/snli/csv_export", name)
    with open(path, newline="", encoding="utf-8") as f:
        for i, r in enumerate(csv.DictReader(f)):
            yield {"id": i, "source": "snli", "premise": r["sentence1"],
                   "hypothesis": r["sentence2"], "label": r["gold_label"],
                   "gold_label": r["gold_label"]}
def dump(name, records):
    with open(os.path.join(out, name), "w") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")
dev, test = list(rows("snli_dev.csv")), list(rows("snli_test.csv"))
dump("teacher_train.jsonl", dev)
dump("student_rows.jsonl", dev[:3000])
dump("snli_test2000.jsonl", test[:2000])
EOF

config() { # hidden intermediate layers heads
    cat <<EOF
{"architectures": ["ModernBertForSequenceClassification"], "model_type": "modernbert",
 "vocab_size": 50368, "hidden_size": $1, "intermediate_size": $2, "num_hidden_layers": $3,
 "num_attention_heads": $4, "max_position_embeddings": 512, "global_attn_every_n_layers": 3,
 "local_attention": 128, "classifier_pooling": "mean", "norm_eps": 1e-05,
 "initializer_range": 0.02, "initializer_cutoff_factor": 2.0, "pad_token_id": 50283,
 "bos_token_id": 50281, "eos_token_id": 50282, "cls_token_id": 50281, "sep_token_id": 50282,
 "id2label": {"0": "entailment", "1": "neutral", "2": "contradiction"},
 "label2id": {"entailment": 0, "neutral": 1, "contradiction": 2}}
EOF
}
config 128 256 4 4 > "$OUT/teacher.json"
config 64 96 2 4 > "$OUT/student.json"

EVALS=(--eval "snli_test=$OUT/data/snli_test2000.jsonl" --eval "mnli_dev=$MNLI")

echo "== 1. teacher (CE, all 9842 SNLI dev rows)"
"$FINECAT" train --init "$OUT/teacher.json" --tokenizer "$TOK" --data "$OUT/data/teacher_train.jsonl" \
    "${EVALS[@]}" --out "$OUT/teacher" --overwrite --alpha 1 --beta 0 --epochs "$TEACHER_EPOCHS" \
    --batch-size 32 --lr 1e-3 --warmup 0.06 --eval-every 200 --seed 1 --threads "$THREADS"

echo "== 2. teacher logits on the 3000 student rows"
"$FINECAT" predict --model "$OUT/teacher/model" --input "$OUT/data/student_rows.jsonl" \
    --output "$OUT/data/student_rows.pred.jsonl"
python3 - "$OUT" <<'EOF'
import json, os, sys
out = sys.argv[1]
with open(os.path.join(out, "teacher/model/config.json")) as f:
    id2label = json.load(f)["id2label"]
canonical = ["entailment", "neutral", "contradiction"]
column = {name: int(i) for i, name in id2label.items()}
with open(os.path.join(out, "data/student_rows.pred.jsonl")) as f, \
     open(os.path.join(out, "data/student_distill.jsonl"), "w") as g:
    for line in f:
        r = json.loads(line)
        r["teacher_logits"] = [r["logits"][column[c]] for c in canonical]  # canonical order
        r["label"] = r["gold_label"]
        for key in ("logits", "probabilities"):
            r.pop(key)
        g.write(json.dumps(r) + "\n")
EOF

RUN=() # a command to run finecat under (step 4 uses timeout)
student() { # name alpha beta seed [extra options]
    local name=$1 alpha=$2 beta=$3 seed=$4
    shift 4
    ${RUN[@]+"${RUN[@]}"} "$FINECAT" train --init "$OUT/student.json" --tokenizer "$TOK" \
        --data "$OUT/data/student_distill.jsonl" "${EVALS[@]}" --out "$OUT/$name" \
        --alpha "$alpha" --beta "$beta" --epochs "$STUDENT_EPOCHS" --batch-size 32 --lr 1e-3 \
        --warmup 0.06 --eval-every 100 --seed "$seed" --threads "$THREADS" "$@"
}

for seed in $SEEDS; do
    echo "== 3. students, seed $seed: CE alone, then 0.5*CE + 0.5*MSE"
    student "student_ce_s$seed" 1 0 "$seed" --quiet --overwrite
    student "student_distill_s$seed" 0.5 0.5 "$seed" --quiet --overwrite
done

echo "== 4. kill and resume (distillation, seed ${SEEDS%% *})"
seed=${SEEDS%% *}
rm -rf "$OUT/student_killed"
RUN=(timeout -s KILL 12)
student student_killed 0.5 0.5 "$seed" --save-every 50 --quiet || true
RUN=()
echo "killed; checkpoints left: $(ls "$OUT/student_killed" | grep -c '^checkpoint-')"
student student_killed 0.5 0.5 "$seed" --save-every 50 --resume "$OUT/student_killed" --quiet
python3 - "$OUT/student_distill_s$seed/train_log.csv" "$OUT/student_killed/train_log.csv" <<'EOF'
import csv, sys
def curve(path):  # every column but the measured throughput
    with open(path) as f:
        return [{k: v for k, v in r.items() if k != "samples_per_s"} for r in csv.DictReader(f)]
a, b = curve(sys.argv[1]), curve(sys.argv[2])
print(f"resumed run: {len(b)} steps, identical to the uninterrupted run: {a == b}")
sys.exit(0 if a == b else 1)
EOF

echo "== summary (accuracy at the last step)"
python3 - "$OUT" $SEEDS <<'EOF'
import csv, os, sys
out, seeds = sys.argv[1], sys.argv[2:]
def last(path):
    with open(path) as f:
        rows = list(csv.DictReader(f))
    return rows[-1]
t = last(os.path.join(out, "teacher/train_log.csv"))
print(f"teacher: snli_test {float(t['eval_snli_test_accuracy']):.4f}  "
      f"mnli_dev {float(t['eval_mnli_dev_accuracy']):.4f}")
for kind in ("ce", "distill"):
    snli, mnli = [], []
    for s in seeds:
        r = last(os.path.join(out, f"student_{kind}_s{s}/train_log.csv"))
        snli.append(float(r["eval_snli_test_accuracy"]))
        mnli.append(float(r["eval_mnli_dev_accuracy"]))
    mean = lambda x: sum(x) / len(x)
    print(f"student {kind:8s} snli_test {mean(snli):.4f} {['%.4f' % x for x in snli]}  "
          f"mnli_dev {mean(mnli):.4f} {['%.4f' % x for x in mnli]}")
EOF
