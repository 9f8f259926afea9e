#include "tokenizer/model.h"

#include <string.h>

#include "util/error.h"

int fc_tok_model_load(fc_tok_model *model, const cJSON *json, const char *path, fc_error *err) {
    memset(model, 0, sizeof *model);
    if (!cJSON_IsObject(json)) return fc_fail(err, "%s: \"model\" is missing or not an object", path);
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(json, "type");
    // Old files may omit "type"; tokenizers then recognizes BPE by its vocab + merges.
    int is_bpe = cJSON_IsString(type) ? strcmp(type->valuestring, "BPE") == 0
                                      : cJSON_GetObjectItemCaseSensitive(json, "merges") != NULL;
    if (!is_bpe) {
        return fc_fail(err, "%s: model type \"%s\" is not supported (supported: BPE)", path,
                       cJSON_IsString(type) ? type->valuestring : "(none)");
    }
    model->kind = FC_TOK_MODEL_BPE;
    return fc_bpe_load(&model->bpe, json, path, err);
}

void fc_tok_model_free(fc_tok_model *model) {
    if (model->kind == FC_TOK_MODEL_BPE) fc_bpe_free(&model->bpe);
    memset(model, 0, sizeof *model);
}

void fc_tok_model_encode_word(const fc_tok_model *model, const char *word, size_t len, fc_ids *out,
                              fc_tok_model_scratch *scratch) {
    switch (model->kind) {
    case FC_TOK_MODEL_BPE:
        fc_bpe_encode_word(&model->bpe, word, len, out, &scratch->bpe);
        break;
    }
}

void fc_tok_model_scratch_free(fc_tok_model_scratch *scratch) {
    fc_bpe_scratch_free(&scratch->bpe);
}

int32_t fc_tok_model_token_to_id(const fc_tok_model *model, const char *token, size_t len) {
    switch (model->kind) {
    case FC_TOK_MODEL_BPE:
        return fc_bpe_token_to_id(&model->bpe, token, len);
    }
    return -1;
}

const char *fc_tok_model_id_to_token(const fc_tok_model *model, int32_t id) {
    switch (model->kind) {
    case FC_TOK_MODEL_BPE:
        return fc_bpe_id_to_token(&model->bpe, id);
    }
    return NULL;
}

int32_t fc_tok_model_id_count(const fc_tok_model *model) {
    switch (model->kind) {
    case FC_TOK_MODEL_BPE:
        return model->bpe.id_count;
    }
    return 0;
}
