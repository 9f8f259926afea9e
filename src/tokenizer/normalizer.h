// The normalizer stage of tokenizer.json ("normalizer"), model-reference 5.1 step 2. Supported:
// null (identity), {"type": "NFC"} (Unicode NFC through utf8proc) and {"type": "Sequence"} of
// supported normalizers. Other types are refused at load with the type named.
#ifndef FC_TOKENIZER_NORMALIZER_H
#define FC_TOKENIZER_NORMALIZER_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "finecat.h"
#include "tokenizer/textbuf.h"

typedef enum fc_normalizer_kind {
    FC_NORMALIZER_NONE = 0,
    FC_NORMALIZER_NFC,
    FC_NORMALIZER_SEQUENCE,
} fc_normalizer_kind;

typedef struct fc_normalizer {
    fc_normalizer_kind kind;
    struct fc_normalizer *steps; // FC_NORMALIZER_SEQUENCE
    int step_count;
} fc_normalizer;

int fc_normalizer_load(fc_normalizer *norm, const cJSON *json, const char *path, fc_error *err);
void fc_normalizer_free(fc_normalizer *norm);

// 1 when the normalizer never changes text.
int fc_normalizer_is_identity(const fc_normalizer *norm);

// Writes the normalized form of text[0..len) (valid UTF-8) to out, replacing its contents.
int fc_normalize(const fc_normalizer *norm, const char *text, size_t len, fc_textbuf *out,
                 fc_error *err);

#endif
