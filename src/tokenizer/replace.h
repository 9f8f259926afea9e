// The Replace normalizer of tokenizer.json ({"type": "Replace", "pattern": {"String": s} or
// {"Regex": r}, "content": c}), as tokenizers' normalizers/replace.rs and
// NormalizedString::replace do it: every non-overlapping match, left to right, becomes content.
// DebertaV2Converter uses it to collapse runs of spaces (Regex " {2,}" -> " ", model-reference
// 5.3); transformers v5's rebuilt DeBERTa normalizer uses "\s{2,}|[\n\r\t]".
//
// Regexes run on PCRE2 with UTF and UCP instead of HF's Oniguruma; for these patterns the two
// agree (\s is Unicode white space in both).
#ifndef FC_TOKENIZER_REPLACE_H
#define FC_TOKENIZER_REPLACE_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>

#include "finecat.h"
#include "tokenizer/textbuf.h"

typedef struct fc_replace {
    char *literal;     // the String pattern (NULL for a regex)
    size_t literal_len;
    pcre2_code *regex; // the Regex pattern (NULL for a string)
    char *content;
    size_t content_len;
} fc_replace;

// is_regex selects between the two pattern kinds. what names the origin in error messages.
int fc_replace_init(fc_replace *r, const char *pattern, int is_regex, const char *content,
                    const char *what, fc_error *err);
void fc_replace_free(fc_replace *r);

// Writes text[0..len) (valid UTF-8) with every match replaced to out, replacing its contents;
// out grows fallibly, as in fc_normalize.
int fc_replace_apply(const fc_replace *r, const char *text, size_t len, fc_textbuf *out, fc_error *err);

#endif
