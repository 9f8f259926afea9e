// The normalizer stage of tokenizer.json ("normalizer"), model-reference 5.1 step 2. Supported:
// null (identity), NFC (Unicode NFC through utf8proc), Strip, Lowercase, Replace, Precompiled
// (SentencePiece's charsmap, model-reference 5.3), BertNormalizer (bert_normalizer.h) and a
// Sequence of these. Other types are
// refused at load with the type named. The fc_normalizer_init_* functions build the same steps
// without JSON, for the spm.model path.
#ifndef FC_TOKENIZER_NORMALIZER_H
#define FC_TOKENIZER_NORMALIZER_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "finecat.h"
#include "tokenizer/bert_normalizer.h"
#include "tokenizer/precompiled.h"
#include "tokenizer/replace.h"
#include "tokenizer/textbuf.h"

typedef enum fc_normalizer_kind {
    FC_NORMALIZER_NONE = 0,
    FC_NORMALIZER_NFC,
    FC_NORMALIZER_SEQUENCE,
    FC_NORMALIZER_STRIP,
    FC_NORMALIZER_LOWERCASE,
    FC_NORMALIZER_REPLACE,
    FC_NORMALIZER_PRECOMPILED,
    FC_NORMALIZER_BERT,
} fc_normalizer_kind;

typedef struct fc_normalizer {
    fc_normalizer_kind kind;
    struct fc_normalizer *steps; // FC_NORMALIZER_SEQUENCE
    int step_count;
    int strip_left, strip_right; // FC_NORMALIZER_STRIP
    fc_replace *replace;         // FC_NORMALIZER_REPLACE
    fc_precompiled *precompiled; // FC_NORMALIZER_PRECOMPILED (NULL: an empty charsmap, identity)
    fc_bert_normalizer bert;     // FC_NORMALIZER_BERT
} fc_normalizer;

int fc_normalizer_load(fc_normalizer *norm, const cJSON *json, const char *path, fc_error *err);
void fc_normalizer_free(fc_normalizer *norm);

// A Sequence of count steps, each still to be initialized (steps[i]).
void fc_normalizer_init_sequence(fc_normalizer *norm, int count);
void fc_normalizer_init_strip(fc_normalizer *norm, int left, int right);
void fc_normalizer_init_lowercase(fc_normalizer *norm);
int fc_normalizer_init_replace(fc_normalizer *norm, const char *pattern, int is_regex, const char *content,
                               const char *what, fc_error *err);
int fc_normalizer_init_precompiled(fc_normalizer *norm, const unsigned char *charsmap, size_t len,
                                   const char *what, fc_error *err);

// 1 when the normalizer never changes text.
int fc_normalizer_is_identity(const fc_normalizer *norm);

// Writes the normalized form of text[0..len) (valid UTF-8) to out, replacing its contents. out
// grows with the text, fallibly: running out of memory is an error saying so (util/alloc.h).
int fc_normalize(const fc_normalizer *norm, const char *text, size_t len, fc_textbuf *out,
                 fc_error *err);

#endif
