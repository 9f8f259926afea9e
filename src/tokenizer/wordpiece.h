// The WordPiece model of tokenizer.json ("model": {"type": "WordPiece", "vocab", "unk_token",
// "continuing_subword_prefix", "max_input_chars_per_word"}), as tokenizers' models/wordpiece
// runs it: greedy longest-match-first from the left, every piece after the first looked up with
// the continuing prefix ("##"); a word longer than max_input_chars_per_word characters, or with
// any part no vocabulary token matches, becomes one unk_token.
#ifndef FC_TOKENIZER_WORDPIECE_H
#define FC_TOKENIZER_WORDPIECE_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "finecat.h"
#include "tokenizer/strmap.h"
#include "tokenizer/textbuf.h"

typedef struct fc_wordpiece {
    fc_strmap vocab;      // token text -> id
    char **id_to_token;   // id -> token text (NULL for ids the vocab lacks); one block (vocab.h)
    int32_t id_count;     // max id + 1
    int32_t unk_id;
    char *prefix;         // continuing_subword_prefix
    size_t prefix_len;
    size_t max_chars;     // max_input_chars_per_word
    size_t longest_token; // bytes of the longest vocabulary token: no piece that matches is longer
} fc_wordpiece;

// Reads the model object; path names the file in error messages. The unk_token must be in the
// vocabulary (HF fails only when an unknown word meets it; failing at load says why sooner).
int fc_wordpiece_load(fc_wordpiece *wp, const cJSON *model, const char *path, fc_error *err);
void fc_wordpiece_free(fc_wordpiece *wp);

// Appends the ids of one pre-tokenized word. scratch holds the prefixed candidate pieces. out
// and scratch grow fallibly, so this fails only when memory runs out (out may then hold part
// of the word's ids).
int fc_wordpiece_encode_word(const fc_wordpiece *wp, const char *word, size_t len, fc_ids *out,
                             fc_textbuf *scratch, fc_error *err);

int32_t fc_wordpiece_token_to_id(const fc_wordpiece *wp, const char *token, size_t len);
const char *fc_wordpiece_id_to_token(const fc_wordpiece *wp, int32_t id);

#endif
