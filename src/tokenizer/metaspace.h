// The Metaspace pre-tokenizer (tokenizer.json {"type": "Metaspace", "replacement": "▁",
// "prepend_scheme": "always" | "first" | "never", "split": true}), as tokenizers'
// pre_tokenizers/metaspace.rs runs it on each piece (model-reference 5.3):
// 1. every ' ' (U+0020 only) becomes the replacement character;
// 2. the replacement is prepended unless the piece already starts with it: always, only for the
//    piece that starts the original text ("first"), or never;
// 3. with split, every replacement character starts a new word and stays attached to the text
//    after it (SplitDelimiterBehavior::MergedWithNext): "▁a▁▁b" -> "▁a", "▁", "▁b".
// Files written before tokenizers 0.19 have "add_prefix_space" instead of "prepend_scheme":
// true means always, false never.
#ifndef FC_TOKENIZER_METASPACE_H
#define FC_TOKENIZER_METASPACE_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "finecat.h"
#include "tokenizer/textbuf.h"

typedef enum fc_prepend_scheme {
    FC_PREPEND_ALWAYS = 0,
    FC_PREPEND_FIRST,
    FC_PREPEND_NEVER,
} fc_prepend_scheme;

typedef struct fc_metaspace {
    char replacement[5]; // one character, UTF-8, NUL-terminated
    size_t replacement_len;
    fc_prepend_scheme prepend_scheme;
    int split;
} fc_metaspace;

int fc_metaspace_load(fc_metaspace *ms, const cJSON *json, const char *path, fc_error *err);

// Replaces the spaces of text[0..len) and prepends as the scheme says, into buf. starts_text:
// the piece begins at offset 0 of the original text (for "first"). buf grows fallibly, so this
// fails only when memory runs out.
int fc_metaspace_rewrite(const fc_metaspace *ms, const char *text, size_t len, int starts_text,
                         fc_textbuf *buf, fc_error *err);

// Length of the word at the start of text[0..len) (after fc_metaspace_rewrite): up to, not
// including, the next replacement character after its first character; all of it without split.
size_t fc_metaspace_word_len(const fc_metaspace *ms, const char *text, size_t len);

#endif
