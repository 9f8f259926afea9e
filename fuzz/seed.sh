#!/usr/bin/env bash
# Builds the fuzz seed corpora in build-fuzz/corpus/HARNESS/ from the repository's fixtures,
# ../shared/data (when present) and the hand-written seeds in fuzz/seeds/HARNESS/. Seeds are
# kept small (heads of data files, tokenizer.json files cut to their first few hundred
# vocabulary entries) so that each run is fast and libFuzzer's length limit stays small.
# Needs jq (make deps installs it). Run from anywhere; writes only under build-fuzz/corpus (or
# $FUZZ_CORPUS), adding to what earlier runs found there.
set -euo pipefail
cd "$(dirname "$0")/.."
FIX=tests/fixtures
SHARED=${FINECAT_SHARED:-../shared/data}
OUT=${FUZZ_CORPUS:-build-fuzz/corpus}
mkdir -p "$OUT"

# seed HARNESS NAME < bytes: one seed file.
seed() { mkdir -p "$OUT/$1"; cat > "$OUT/$1/$2"; }
# seed_file HARNESS FILE [PREFIX_BYTES]: a file (or its first 12 lines) as a seed, after an
# optional selector prefix such as '\x03'.
seed_file() {
    local harness=$1 file=$2 prefix=${3:-}
    [ -f "$file" ] || return 0
    local name
    name=$(echo "$file" | sed 's|^\.\./||' | tr '/' '_')
    { printf "$prefix"; head -n 12 "$file"; } | seed "$harness" "$name"
}

# Hand-written seeds.
for dir in fuzz/seeds/*/; do
    harness=$(basename "$dir")
    mkdir -p "$OUT/$harness"
    cp "$dir"* "$OUT/$harness/"
done

# config.json of every architecture, and every config for the label map.
for f in $FIX/modernbert/*/config.json "$SHARED"/tokenizers/ModernBERT-large/config.json; do
    [ -f "$f" ] && seed config_modernbert "$(echo "$f" | sed 's|^\.\./||' | tr '/' '_')" < "$f"
done
for f in $FIX/deberta/*/config.json "$SHARED"/tokenizers/deberta-v3/config.json; do
    [ -f "$f" ] && seed config_deberta "$(echo "$f" | sed 's|^\.\./||' | tr '/' '_')" < "$f"
done
for f in $FIX/bert/*/config.json $FIX/bert_train/*/config.json models/*/config.json; do
    [ -f "$f" ] && seed config_bert "$(echo "$f" | sed 's|^\.\./||' | tr '/' '_')" < "$f"
done
for f in $(find $FIX models -name config.json | sort); do
    seed label_map "$(echo "$f" | sed 's|^\.\./||' | tr '/' '_')" < "$f"
done

# tokenizer.json of each kind, cut to the vocabulary entries below 300 (merges that stay
# inside it, for BPE), with added tokens and post-processor as published.
jq -c '.model.vocab |= with_entries(select(.value < 300))' \
    $FIX/bert_tokens/minilm/tokenizer.json | seed tokenizer_json wordpiece.json
for pair in roberta:$FIX/bert_tokens/roberta/tokenizer.json \
            modernbert:$FIX/modernbert/tiny-cls/tokenizer.json; do
    jq -c '(.model.vocab | with_entries(select(.value < 300))) as $kept
           | .model.vocab = $kept
           | .model.merges |= map(select((if type == "string" then split(" ") else . end) as $p
                 | $kept[$p[0]] != null and $kept[$p[1]] != null and $kept[$p[0] + $p[1]] != null))' \
        "${pair#*:}" | seed tokenizer_json "${pair%%:*}.json"
done
jq -c '.model.vocab |= .[0:300]' $FIX/deberta_tokens/tokenizer.json | seed tokenizer_json unigram.json

# Texts the tokenizer tests know to be hard, as encode inputs: a single text (call 0) or a
# pair truncated longest first to 64 tokens (call 1), see fc_fuzz_encode in fuzz/fuzz.h.
encode_seeds() {
    local harness=$1 file=$2 n=0
    mkdir -p "$OUT/$harness"
    jq -nr 'limit(300; inputs) | [.a // .text // "", .b // ""] | map(@base64) | join(" ")' "$file" |
    while read -r a b; do
        n=$((n + 1))
        { if [ $((n % 2)) = 0 ]; then printf '\x05\x40'; else printf '\x00\x00'; fi
          echo "$a" | base64 -d; printf '\xff'; echo "${b:-}" | base64 -d; } > "$OUT/$harness/$n"
    done
}
encode_seeds encode_bpe $FIX/tokens/hard_strings.jsonl
encode_seeds encode_unigram $FIX/deberta_tokens/hard_strings.jsonl
encode_seeds encode_wordpiece $FIX/bert_tokens/minilm/hard_strings.jsonl
encode_seeds encode_roberta $FIX/bert_tokens/roberta/hard_strings.jsonl

# safetensors: the fixtures' small files (the models' are megabytes; their headers are the
# same shape).
for f in $FIX/bert_train/*/grads.safetensors $FIX/modernbert/tiny-bf16/model-00002-of-00002.safetensors; do
    seed safetensors "$(echo "$f" | sed 's|^\.\./||' | tr '/' '_')" < "$f"
done
seed safetensors_index tiny-bf16.json < $FIX/modernbert/tiny-bf16/model.safetensors.index.json

# Data files: the first lines of every source's files, with the selector byte of its reader.
jsonl_format() { # index into data_jsonl's format table
    case $1 in
        *snli*) echo 1 ;; *multinli*) echo 2 ;; *anli*) echo 3 ;; *wanli*) echo 4 ;;
        *lingnli*) echo 5 ;; *fever*) echo 6 ;; *) echo 0 ;;
    esac
}
for f in $(find "$SHARED/nli" $FIX/shipped -name '*.jsonl' 2>/dev/null | sort); do
    seed_file data_jsonl "$f" "\\x0$(jsonl_format "$f")"
    seed_file data_detect "$f" '\x05'
done
table_format() { # index into data_table's format table
    case $1 in
        *snli*.txt) echo 0 ;; *snli*.csv) echo 1 ;; *textfooler*) echo 3 ;; *cad*) echo 4 ;;
        *SICK*) echo 5 ;; *taxinli*) echo 6 ;; *) echo 8 ;;
    esac
}
for f in $(find "$SHARED/nli" \( -name '*.tsv' -o -name '*.csv' -o -name '*.txt' \) 2>/dev/null | sort); do
    case $f in *README*) continue ;; esac
    seed_file data_table "$f" "\\x0$(table_format "$f")"
    seed_file data_detect "$f" '\x02'
done
senteval=$SHARED/nli/snli/esnli_senteval
if [ -f "$senteval/s1.dev" ]; then
    { printf '\x00'; head -n 8 "$senteval/s1.dev"; printf '\xff'; head -n 8 "$senteval/s2.dev"
      printf '\xff'; head -n 8 "$senteval/labels.dev"; } | seed data_senteval esnli_dev
fi

# The curate recipe.
for f in recipe/*.json; do seed curate_config "$(basename "$f")" < "$f"; done

for dir in "$OUT"/*/; do echo "$(basename "$dir"): $(ls "$dir" | wc -l) seeds"; done
