// The tokenizer as its stages (model-reference 5.1): added tokens -> normalizer ->
// pre-tokenizer -> model -> truncation and post-processor. Each stage lives in its own file;
// tokenizer.c loads them from tokenizer.json and runs them in order.
#ifndef FC_TOKENIZER_INTERNAL_H
#define FC_TOKENIZER_INTERNAL_H

#include "finecat.h"
#include "tokenizer/added_tokens.h"
#include "tokenizer/model.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/post_processor.h"
#include "tokenizer/pretokenizer.h"

struct fc_tokenizer {
    fc_added_tokens added;
    fc_normalizer normalizer;
    fc_pretokenizer pretokenizer;
    fc_tok_model model;
    fc_post_processor post_processor;
    int model_max_length; // from tokenizer_config.json; 0 = none or "unlimited"
};

#endif
