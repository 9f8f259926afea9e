// tokenizers' BertNormalizer (normalizers/bert.rs): {"type": "BertNormalizer", "clean_text",
// "handle_chinese_chars", "strip_accents", "lowercase"}, the normalizer of BERT's tokenizer.json
// (all-MiniLM-L6-v2, bert-base-uncased). Its steps, in the crate's order, each on the output
// of the one before:
//   clean_text            drop U+0000, U+FFFD and control characters; whitespace becomes ' '
//   handle_chinese_chars  a space on each side of every CJK ideograph
//   strip_accents         NFD, then drop the nonspacing marks (Mn); null means "as lowercase"
//   lowercase             Rust's char::to_lowercase
// The character classes are the crate's own (bert_unicode.h).
#ifndef FC_TOKENIZER_BERT_NORMALIZER_H
#define FC_TOKENIZER_BERT_NORMALIZER_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "finecat.h"
#include "tokenizer/textbuf.h"

typedef struct fc_bert_normalizer {
    int clean_text, handle_chinese_chars, strip_accents, lowercase;
} fc_bert_normalizer;

// Reads the flags; absent ones take the crate's defaults (all true; strip_accents null or
// absent follows lowercase).
int fc_bert_normalizer_load(fc_bert_normalizer *bn, const cJSON *json, const char *path, fc_error *err);

// Writes the normalized form of text[0..len) (valid UTF-8) to out, replacing its contents; out
// grows fallibly, as in fc_normalize.
int fc_bert_normalize(const fc_bert_normalizer *bn, const char *text, size_t len, fc_textbuf *out,
                      fc_error *err);

#endif
