// The tokenizer as its stages (model-reference 5.1): added tokens -> normalizer ->
// pre-tokenizer -> model -> truncation and post-processor. Each stage lives in its own file;
// tokenizer.c loads them from tokenizer.json (or, without one, spm_tokenizer.c builds them from
// a DeBERTa spm.model) and runs them in order.
#ifndef FC_TOKENIZER_INTERNAL_H
#define FC_TOKENIZER_INTERNAL_H

#include <cjson/cJSON.h>

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

// Parses a JSON file whose top level must be an object; errors name the file.
cJSON *fc_tokenizer_parse_json_file(const char *path, fc_error *err);

// Builds every stage but model_max_length from dir/spm.model and the transformers files beside
// it, as transformers v4's DebertaV2Converter does (spm_tokenizer.c).
int fc_tokenizer_load_spm_stages(fc_tokenizer *tok, const char *dir, fc_error *err);

#endif
