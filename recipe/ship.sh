#!/usr/bin/env bash
# After recipe/run.sh: ships the best student as models/finecat-nli-minilm (f16), measures its
# accuracy on the regression sample that `make test` checks (tests/fixtures/shipped/), and
# collects the figures and curves of every model into recipe/results/ for the README.
# "Best" is the highest mean accuracy over the held-out columns of recipe/run.sh's eval.
# Needs jq.
set -euo pipefail
cd "$(dirname "$0")/.."

WORK=${FINECAT_RECIPE_DIR:-build/recipe}
FINECAT=${FINECAT_BIN:-build/finecat}
DEST=models/finecat-nli-minilm
RESULTS=recipe/results
STUDENTS=(student-ce student-kd student-kd-l3 student-bigcat)
MODELS=(pilot teacher "${STUDENTS[@]}")

mean_accuracy() { jq '[.models[0].datasets[].accuracy] | add / length' "$WORK/eval-$1.json"; }

best="" best_mean=-1
for m in "${STUDENTS[@]}"; do
    mean=$(mean_accuracy "$m")
    echo "$m: mean held-out accuracy $mean"
    if awk -v a="$mean" -v b="$best_mean" 'BEGIN { exit !(a > b) }'; then
        best=$m best_mean=$mean
    fi
done
echo "shipping $best"

rm -rf "$DEST"
mkdir -p "$(dirname "$DEST")"
"$FINECAT" convert --model "$WORK/$best/model" --out "$DEST" --dtype f16

# The regression floor: the shipped (f16) model's accuracy per column of the fixed sample.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
args=()
for src in snli anli mnli; do
    grep "\"source\": \"$src" tests/fixtures/shipped/heldout.jsonl > "$tmp/$src.jsonl"
    args+=(--data "$src=$tmp/$src.jsonl")
done
"$FINECAT" eval --model "$DEST" "${args[@]}" --json "$tmp/shipped.json"
jq --arg model "$best" '{model: $model, measured_by: "recipe/ship.sh (finecat eval on the f16 model)",
    accuracy: ([.models[0].datasets[] | {(.name): .accuracy}] | add)}' "$tmp/shipped.json" \
    > tests/fixtures/shipped/expected.json
cat tests/fixtures/shipped/expected.json

# Figures and curves for the README.
mkdir -p "$RESULTS"
evaluated=()
for m in "${MODELS[@]}"; do
    cp "$WORK/$m/train_log.csv" "$RESULTS/train_log-$m.csv"
    cp "$WORK/$m/train_plot.svg" "$RESULTS/train_plot-$m.svg"
    if [ -e "$WORK/eval-$m.json" ]; then
        cp "$WORK/eval-$m.json" "$RESULTS/eval-$m.json"
        evaluated+=("$m")
    fi
done
cp "$WORK/score_hist.svg" "$WORK/hist.json" "$WORK/select.json" "$WORK/flag.json" "$RESULTS/"
cp "$WORK/bigcat/report.md" "$RESULTS/bigcat_report.md"
{
    printf '| model | '
    jq -r '[.models[0].datasets[].name] | join(" | ")' "$WORK/eval-teacher.json" | tr -d '\n'
    printf ' | mean | samples/s | peak MB |\n|---|'
    jq -r '[.models[0].datasets[] | "---:"] | join("|")' "$WORK/eval-teacher.json" | tr -d '\n'
    printf '|---:|---:|---:|\n'
    for m in "${evaluated[@]}"; do
        jq -r --arg m "$m" '.models[0] | "| \($m) | " +
            ([.datasets[].accuracy * 1000 | round / 10 | tostring] | join(" | ")) +
            " | \(([.datasets[].accuracy] | add / length) * 1000 | round / 10)" +
            " | \(.samples_per_second * 10 | round / 10) | \(.peak_rss_mb | round) |"' \
            "$WORK/eval-$m.json"
    done
} > "$RESULTS/table.md"
cat "$RESULTS/table.md"
